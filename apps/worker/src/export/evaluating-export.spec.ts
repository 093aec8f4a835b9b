import { builtInMergePolicy } from '@sx/domain';
import type { ExportJob } from '@sx/domain';
import type { EvaluatedOut, FragmentOut, MembershipDelta, ProfileReader } from '@sx/persistence';
import type { ProfileView } from '@sx/pql';
import { runEvaluatingExport } from './evaluating-export';
import { exportJobFixture, fixtureScope } from './export-job.fixture';
import { type ExportPlan, planExport, readPlanOf } from './export-plan';
import type { PipelineCounters } from './export-pipeline';

const scope = fixtureScope;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const NOW_ISO = '2026-06-01T00:00:00.000Z';
const T0 = '2026-01-01T00:00:00.000Z';

const job = (status: ('realized' | 'exited')[] = ['realized'], extra: Partial<ExportJob> = {}): ExportJob =>
  exportJobFixture({
    id: 9,
    filter: { segments: [{ segmentNs: 'ups', segmentId: 'adults', status }] },
    evaluationInfo: { segmentation: true },
    evaluationNowMs: NOW,
    ...extra,
  });

function fragment(key: string, extra: Record<string, unknown>): FragmentOut {
  const [ns, id] = key.split(':');
  const json = JSON.stringify({ identityMap: { [ns]: [{ id, primary: true }] }, ...extra });
  return { key, primaryIdentity: key, datasetId: 'ds', recordTime: 1, ingestTime: 1, json, jsonBytes: Buffer.from(json) };
}
function reader(fragments: FragmentOut[], evaluated?: EvaluatedOut[]): ProfileReader {
  const one = <T>(rows: T[]) =>
    (async function* () {
      yield rows;
    })();
  return { fragments: one(fragments), evaluated: evaluated && one(evaluated), close: async () => undefined };
}

const age = (v: ProfileView) => (v.profile.person as { age?: number } | undefined)?.age ?? 0;
const inSegment = (v: ProfileView, id: string) =>
  ['realized', 'existing'].includes(((v.profile.segmentMembership as Record<string, Record<string, { status: string }>>)?.ups ?? {})[id]?.status);

function planOf(j: ExportJob, defs: NonNullable<ExportPlan['evaluation']>['definitions']): ExportPlan {
  const plan = planExport(j, builtInMergePolicy(scope, true));
  plan.evaluation = { nowMs: NOW, definitions: defs, withEvents: false };
  plan.overlay = defs.map((d) => ({ segmentNs: d.segmentNs, segmentId: d.segmentId }));
  return plan;
}

async function run(plan: ExportPlan, r: ProfileReader) {
  const rows: Array<Record<string, unknown>> = [];
  const deltas: MembershipDelta[] = [];
  const counters: PipelineCounters = { profiles: 0, byNamespace: {} };
  const read = await runEvaluatingExport(
    r,
    plan,
    (row) => void rows.push(structuredClone(row.profile!)),
    new AbortController().signal,
    counters,
    async (d) => void deltas.push(d),
  );
  return { rows, deltas, read, counters };
}

const adults = { segmentId: 'adults', segmentNs: 'ups', evaluate: (v: ProfileView) => age(v) >= 18 };
const store = () => [
  fragment('email:a', { person: { age: 30 } }), // newly qualifies
  fragment('email:b', { person: { age: 40 }, segmentMembership: { ups: { adults: { status: 'existing', lastQualificationTime: T0 } } } }), // kept
  fragment('email:c', { person: { age: 10 }, segmentMembership: { ups: { adults: { status: 'realized', lastQualificationTime: T0 } } } }), // exits
  fragment('email:d', { person: { age: 12 } }), // never
];

describe('runEvaluatingExport', () => {
  it('reads every profile: no SQL prefilter, no stored-text rows, the evaluated rows of what it evaluates', () => {
    const read = readPlanOf(planOf(job(), [adults]));
    expect(read).toEqual({ identityGraph: 'none', evaluated: [{ segmentNs: 'ups', segmentId: 'adults' }] });
  });

  it('exports the fresh members (new at now, kept with their time) and stages only the deltas', async () => {
    const { rows, deltas, read, counters } = await run(planOf(job(), [adults]), reader(store()));
    expect(read).toBe(4);
    expect(rows.map((r) => r.segmentMembership)).toEqual([
      { ups: { adults: { status: 'realized', lastQualificationTime: NOW_ISO } } },
      { ups: { adults: { status: 'existing', lastQualificationTime: T0 } } },
    ]);
    expect(rows.map((r) => (r.identityMap as { email: Array<{ id: string }> }).email[0].id)).toEqual(['a', 'b']);
    expect(counters.profiles).toBe(2);
    expect(deltas).toEqual([
      { segmentNs: 'ups', segmentId: 'adults', identity: 'email:a', status: 'realized', lastQualificationTimeMs: NOW },
      { segmentNs: 'ups', segmentId: 'adults', identity: 'email:c', status: 'exited', lastQualificationTimeMs: NOW },
    ]);
  });

  it('an exited filter exports the profiles this run exited', async () => {
    const { rows } = await run(planOf(job(['exited']), [adults]), reader(store()));
    expect(rows.map((r) => r.segmentMembership)).toEqual([{ ups: { adults: { status: 'exited', lastQualificationTime: NOW_ISO } } }]);
  });

  it('an evaluated row already stored counts as current: kept, nothing staged again', async () => {
    const evaluated: EvaluatedOut[] = [
      { key: 'email:a', identity: 'email:a', segmentNs: 'ups', segmentId: 'adults', status: 'realized', lastQualificationTime: Date.parse('2026-02-01T00:00:00Z') },
    ];
    const { rows, deltas } = await run(planOf(job(), [adults]), reader(store(), evaluated));
    expect(rows[0].segmentMembership).toEqual({ ups: { adults: { status: 'realized', lastQualificationTime: '2026-02-01T00:00:00.000Z' } } });
    expect(deltas.map((d) => d.identity)).toEqual(['email:c']);
  });

  it('a chained definition sees the fresh result of the one it names', async () => {
    const chained = { segmentId: 'adultFans', segmentNs: 'ups', evaluate: (v: ProfileView) => inSegment(v, 'adults') };
    const j = job(['realized'], { filter: { segments: [{ segmentNs: 'ups', segmentId: 'adultFans', status: ['realized'] }] } });
    const { rows, deltas } = await run(planOf(j, [adults, chained]), reader(store()));
    expect(rows.map((r) => (r.identityMap as { email: Array<{ id: string }> }).email[0].id)).toEqual(['a', 'b']);
    // The export writes only the exported segment's entries.
    expect(rows[0].segmentMembership).toEqual({ ups: { adultFans: { status: 'realized', lastQualificationTime: NOW_ISO } } });
    expect(deltas.filter((d) => d.segmentId === 'adultFans').map((d) => d.identity)).toEqual(['email:a', 'email:b']);
  });
});
