import { builtInMergePolicy } from '@sx/domain';
import { exportJobFixture, fixtureScope } from './export-job.fixture';
import { planExport, readPlanOf, storedStatuses } from './export-plan';

const scope = fixtureScope;
const job = exportJobFixture;

describe('export plan', () => {
  it('maps filter statuses to stored ones (existing counts as realized)', () => {
    expect(storedStatuses(['realized'])).toEqual(['realized', 'existing']);
    expect(storedStatuses(['existing', 'exited']).sort()).toEqual(['existing', 'exited', 'realized']);
  });

  it('defaults: Parquet, one batch, no events read, no empty profiles', () => {
    const plan = planExport(job(), builtInMergePolicy(scope, true));
    expect(plan).toMatchObject({ format: 'parquet', segmentPerBatch: false, emptyProfiles: false });
    expect(readPlanOf(plan)).toEqual({ identityGraph: 'none', storedText: true });
  });

  it('reads events for eventList (in its window) and for empty profiles (all of them)', () => {
    const withEvents = planExport(job({ additionalFields: { eventList: { filter: { fromIngestTimestamp: '2024-01-01T00:00:00Z' } } } }), builtInMergePolicy(scope, true));
    expect(readPlanOf(withEvents).events).toEqual({ afterMs: Date.parse('2024-01-01T00:00:00Z'), upToMs: undefined });
    const empty = planExport(job({ filter: { emptyProfiles: true } }), builtInMergePolicy(scope, true));
    expect(readPlanOf(empty).events).toEqual({});
    // With a segment filter an empty profile cannot qualify: no events needed for them.
    const segmentEmpty = planExport(
      job({ filter: { emptyProfiles: true, segments: [{ segmentId: 's', segmentNs: 'ups', status: ['realized'] }] } }),
      builtInMergePolicy(scope, true),
    );
    expect(readPlanOf(segmentEmpty).events).toBeUndefined();
  });

  it('segmentPerBatch only with segments; the membership pre-filter carries the window', () => {
    const plan = planExport(
      job({
        destination: { datasetId: 'd', segmentPerBatch: true, outputFormat: 'jsonl' },
        filter: { segments: [{ segmentId: 's', segmentNs: 'ups', status: ['exited'] }], segmentQualificationTime: { startTime: '2024-01-01T00:00:00Z' } },
      }),
      builtInMergePolicy(scope, true),
    );
    expect(plan.segmentPerBatch).toBe(true);
    expect(plan.format).toBe('jsonl');
    expect(readPlanOf(plan)).toEqual({
      identityGraph: 'none',
      storedText: true, // single-fragment profiles are written from their stored text, segments or not
      segments: [{ segmentNs: 'ups', segmentId: 's', statuses: ['exited'] }],
      qualifiedBetween: { startMs: Date.parse('2024-01-01T00:00:00Z'), endMs: undefined },
    });
    expect(planExport(job({ destination: { datasetId: 'd', segmentPerBatch: true } }), builtInMergePolicy(scope, true)).segmentPerBatch).toBe(false);
  });
  it('reads a chain link as of its snapshot, after its lower bound', () => {
    const link = job({
      filter: { chainId: 'c', segments: [{ segmentId: 's', segmentNs: 'ups', status: ['exited'] }], segmentQualificationTime: { startTime: '2024-01-01T00:00:00Z' } },
    });
    link.chainLink = { chainId: 'c', previousJobId: 3, after: '10:10:', upTo: '12:14:13' };
    const plan = planExport(link, builtInMergePolicy(scope, true));
    expect(plan.snapshot).toEqual({ upTo: '12:14:13', after: '10:10:' });
    expect(plan.qualifiedBetween).toEqual({ startMs: Date.parse('2024-01-01T00:00:00Z'), endMs: undefined });
    expect(readPlanOf(plan)).toEqual({
      identityGraph: 'none',
      storedText: true,
      snapshot: { upTo: '12:14:13', after: '10:10:' },
      segments: [{ segmentNs: 'ups', segmentId: 's', statuses: ['exited'] }],
      qualifiedBetween: { startMs: Date.parse('2024-01-01T00:00:00Z'), endMs: undefined },
    });
    const first = job({ filter: { chainId: 'c' } });
    first.chainLink = { chainId: 'c', upTo: '12:14:13' };
    expect(readPlanOf(planExport(first, builtInMergePolicy(scope, true))).snapshot).toEqual({ upTo: '12:14:13' });
    first.chainLink = { chainId: 'c' };
    expect(() => planExport(first, builtInMergePolicy(scope, true))).toThrow('without its snapshot bound');
  });
});
