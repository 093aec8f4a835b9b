import { builtInMergePolicy } from '@sx/domain';
import type { FragmentOut, ProfileReader } from '@sx/persistence';
import { topLevelMember } from '@sx/export';
import { exportJobFixture, fixtureScope } from './export-job.fixture';
import { planExport } from './export-plan';
import { type PipelineCounters, runExportPipeline } from './export-pipeline';
import { addCounts, compileSegmentCounter, emptyCounts } from './segment-counts';

describe('compileSegmentCounter', () => {
  const sel = (segmentId: string, segmentNs = 'ups') => ({ segmentId, segmentNs, status: ['realized'] });

  it('counts a profile under every entry it matched, keyed by id (ups) or ns:id', () => {
    const count = compileSegmentCounter([sel('A'), sel('B', 'aam'), sel('C')]);
    const by = emptyCounts();
    count(by, [0, 1]);
    count(by, [1]);
    count(by, [2, 0]);
    expect({ ...by }).toEqual({ A: 2, 'aam:B': 2, C: 1 });
  });

  it('two entries of one segment (other statuses) count a profile once', () => {
    const count = compileSegmentCounter([sel('A'), { ...sel('A'), status: ['exited'] }, sel('B')]);
    const by = emptyCounts();
    count(by, [0, 1, 2]);
    count(by, [1]);
    expect({ ...by }).toEqual({ A: 2, B: 1 });
  });

  it('segment ids such as "constructor" are plain keys', () => {
    const by = addCounts(emptyCounts(), { constructor: 2 });
    addCounts(by, { constructor: 3, toString: 1 });
    expect({ ...by }).toEqual({ constructor: 5, toString: 1 });
  });
});

describe('runExportPipeline: exportedProfileBySegmentCounter', () => {
  function fragment(key: string, membership: Record<string, string>, merged = false): FragmentOut[] {
    const [ns, id] = key.split(':');
    const segmentMembership = { ups: Object.fromEntries(Object.entries(membership).map(([s, status]) => [s, { status, lastQualificationTime: '2026-01-01T00:00:00Z' }])) };
    const json = JSON.stringify({ identityMap: { [ns]: [{ id, primary: true }] }, segmentMembership });
    const jsonBytes = Buffer.from(json);
    const one: FragmentOut = {
      key,
      primaryIdentity: key,
      identitiesJson: JSON.stringify([{ id, namespace: { code: ns }, primary: true }]),
      membershipAt: topLevelMember(jsonBytes, 'segmentMembership')?.keyStart ?? -1,
      datasetId: 'ds',
      recordTime: 1000,
      ingestTime: 1000,
      json,
      jsonBytes,
    };
    // Two fragments of one profile take the merging path instead of the stored-text one.
    return merged ? [one, { ...one, recordTime: 999, ingestTime: 999 }] : [one];
  }
  const reader = (fragments: FragmentOut[]): ProfileReader => ({
    fragments: (async function* () {
      yield fragments;
    })(),
    close: async () => undefined,
  });

  it.each([false, true])('counts per entry matched, stored-text and merged profiles alike (merged: %s)', async (merged) => {
    const job = exportJobFixture({
      filter: {
        segments: [
          { segmentNs: 'ups', segmentId: 'A', status: ['realized'] },
          { segmentNs: 'ups', segmentId: 'B', status: ['realized', 'exited'] },
        ],
      },
    });
    const plan = planExport(job, builtInMergePolicy(fixtureScope, true));
    const counters: PipelineCounters = { profiles: 0, byNamespace: {} };
    const rows: unknown[] = [];
    await runExportPipeline(
      reader([
        ...fragment('email:a', { A: 'realized', B: 'exited' }, merged),
        ...fragment('email:b', { A: 'exited', B: 'realized' }, merged),
        ...fragment('email:c', { A: 'realized' }, merged),
        ...fragment('email:d', { C: 'realized' }, merged),
      ]),
      plan,
      (row) => void rows.push(row),
      new AbortController().signal,
      counters,
    );
    expect(rows).toHaveLength(3);
    expect({ ...counters.bySegment }).toEqual({ A: 2, B: 2 });
  });

  it('no segment filter: no per-segment counts', async () => {
    const plan = planExport(exportJobFixture(), builtInMergePolicy(fixtureScope, true));
    const counters: PipelineCounters = { profiles: 0, byNamespace: {} };
    await runExportPipeline(reader(fragment('email:a', { A: 'realized' })), plan, () => undefined, new AbortController().signal, counters);
    expect(counters.profiles).toBe(1);
    expect(counters.bySegment).toBeUndefined();
  });
});
