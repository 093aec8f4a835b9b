import { builtInMergePolicy } from '@sx/domain';
import type { ExportJob } from '@sx/domain';
import { exportJobFixture, fixtureScope } from './export-job.fixture';
import { type EvaluatedOut, type EventOut, type FragmentOut, type ProfileReader, fragmentBatchesOf, fragmentObjectsOf } from '@sx/persistence';
import { fragmentCopyStream } from '../../../../test/support/copy-binary';
import { topLevelMember } from '@sx/export';
import { type ExportPlan, planExport } from './export-plan';
import { type PipelineCounters, runExportPipeline } from './export-pipeline';
import type { ExportRow } from './writers/row-writer';

const scope = fixtureScope;
const job = exportJobFixture;

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-03-01T00:00:00.000Z';
const T2 = '2026-05-01T00:00:00.000Z';

/** A stored fragment as the read path sends it, with the stored-text extras (identities, where segmentMembership is). */
function fragment(key: string, extra: Record<string, unknown> = {}, ingestTime = 1000): FragmentOut {
  const [ns, id] = key.split(':');
  const record = { identityMap: { [ns]: [{ id, primary: true }] }, ...extra };
  const json = JSON.stringify(record);
  const jsonBytes = Buffer.from(json);
  return {
    key,
    primaryIdentity: key,
    identitiesJson: JSON.stringify([{ id, namespace: { code: ns }, primary: true }]),
    membershipAt: topLevelMember(jsonBytes, 'segmentMembership')?.keyStart ?? -1,
    datasetId: 'ds',
    recordTime: ingestTime,
    ingestTime,
    json,
    jsonBytes,
  };
}
const evaluatedRow = (key: string, segmentId: string, status: string, at: string): EvaluatedOut => ({
  key,
  identity: key,
  segmentNs: 'ups',
  segmentId,
  status,
  lastQualificationTime: Date.parse(at),
});
const member = (segmentId: string, status: string, at: string) => ({ segmentMembership: { ups: { [segmentId]: { status, lastQualificationTime: at } } } });

/**
 * How the reader hands fragments over: as objects (readers built of objects), or as the read path
 * does, batches of a binary COPY stream (one chunk, or chunks so small that every row is cut and
 * a profile's rows span batches). Each describe below runs in every mode.
 */
type ReaderMode = 'objects' | 'batches, one chunk' | 'batches, rows cut';
const MODES: ReaderMode[] = ['objects', 'batches, one chunk', 'batches, rows cut'];
let mode: ReaderMode = 'objects';

function reader(fragments: FragmentOut[], evaluated?: EvaluatedOut[], events?: EventOut[]): ProfileReader {
  const chunks = <T>(rows: T[]) =>
    (async function* () {
      for (let i = 0; i < rows.length; i += 2) yield rows.slice(i, i + 2);
    })();
  const rest = { events: events && chunks(events), evaluated: evaluated && chunks(evaluated), close: async () => undefined };
  if (mode === 'objects') return { fragments: chunks(fragments), ...rest };
  const fragmentBatches = fragmentBatchesOf(fragmentCopyStream(fragments, mode === 'batches, one chunk' ? Infinity : 29));
  return { fragments: fragmentObjectsOf(fragmentBatches), fragmentBatches, ...rest };
}

/** How many of the rows the last exported() call saw came from stored bytes (profileParts). */
let partsRows = 0;

/** The rows written, as parsed profiles (stored-text rows reassembled from their parts). */
async function exported(plan: ExportPlan, r: ProfileReader): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  const counters: PipelineCounters = { profiles: 0, byNamespace: {} };
  partsRows = 0;
  await runExportPipeline(
    r,
    plan,
    (row: ExportRow) => {
      if (row.profile) rows.push(structuredClone(row.profile));
      else {
        partsRows++;
        const p = row.profileParts!;
        rows.push(JSON.parse(Buffer.concat([p.head, p.middle ?? Buffer.alloc(0), Buffer.from(p.tail)]).toString('utf8')));
      }
    },
    new AbortController().signal,
    counters,
  );
  expect(counters.profiles).toBe(rows.length);
  return rows;
}

const segmentJob = (status: ('realized' | 'existing' | 'exited')[] = ['realized'], over: Partial<ExportJob> = {}) =>
  job({ filter: { segments: [{ segmentNs: 'ups', segmentId: 'S', status }] }, ...over });
const overlaid = (j: ExportJob) => ({ ...planExport(j, builtInMergePolicy(scope, true)), overlay: [{ segmentNs: 'ups', segmentId: 'S' }] });

/**
 * The store: a is in S by its record and an evaluation exited it later; b is in S only by an
 * evaluation; c is in S by its record, and an older evaluation does not change it; d has nothing.
 */
const storedProfiles = () => [fragment('email:a', member('S', 'realized', T0)), fragment('email:b'), fragment('email:c', member('S', 'existing', T2)), fragment('email:d')];
const evaluatedRows = () => [
  evaluatedRow('email:0-gone', 'S', 'realized', T1), // a profile the read left out: skipped
  evaluatedRow('email:a', 'S', 'exited', T1),
  evaluatedRow('email:b', 'S', 'realized', T1),
  evaluatedRow('email:c', 'S', 'exited', T1),
];
const keysOf = (rows: Array<Record<string, unknown>>) =>
  rows.map((r) => Object.keys((r.identityMap as Record<string, unknown[]>) ?? {}).map((ns) => `${ns}:${(r.identityMap as Record<string, Array<{ id: string }>>)[ns][0].id}`)[0]);

describe.each(MODES)('export pipeline (fragments as %s): evaluated memberships overlaid (memberships.md 3)', (m) => {
  beforeEach(() => (mode = m));
  for (const path of ['stored-text fast path', 'projected fast path', 'merged path'] as const) {
    const jobOver: Partial<ExportJob> = path === 'stored-text fast path' ? {} : { fields: 'identityMap' };
    // Without stored identities (a record with its own `identities`) a profile is merged.
    const store = () => (path === 'merged path' ? storedProfiles().map((f) => ({ ...f, identitiesJson: undefined })) : storedProfiles());

    it(`${path}: selects by the latest of the record's entry and the evaluated rows`, async () => {
      const rows = await exported(overlaid(segmentJob(['realized'], jobOver)), reader(store(), evaluatedRows()));
      expect(keysOf(rows)).toEqual(['email:b', 'email:c']);
      expect(rows[0].segmentMembership).toEqual({ ups: { S: { status: 'realized', lastQualificationTime: T1 } } });
      expect(rows[1].segmentMembership).toEqual({ ups: { S: { status: 'existing', lastQualificationTime: T2 } } });
    });

    it(`${path}: an exited filter sees the evaluated exit`, async () => {
      const rows = await exported(overlaid(segmentJob(['exited'], jobOver)), reader(store(), evaluatedRows()));
      expect(keysOf(rows)).toEqual(['email:a']);
      expect(rows[0].segmentMembership).toEqual({ ups: { S: { status: 'exited', lastQualificationTime: T1 } } });
    });

    it(`${path}: the qualification window applies to the overlaid time`, async () => {
      const j = segmentJob(['realized'], {
        ...jobOver,
        filter: { segments: [{ segmentNs: 'ups', segmentId: 'S', status: ['realized'] }], segmentQualificationTime: { startTime: T1, endTime: T1 } },
      });
      const rows = await exported(overlaid(j), reader(store(), evaluatedRows()));
      expect(keysOf(rows)).toEqual(['email:b']);
    });
  }

  it('without evaluated rows the records decide, as before', async () => {
    const plan = planExport(segmentJob(), builtInMergePolicy(scope, true));
    expect(plan.overlay).toBeUndefined();
    const rows = await exported(plan, reader(storedProfiles()));
    expect(keysOf(rows)).toEqual(['email:a', 'email:c']);
  });

  it('a profile of several fragments gets the overlay after its merge', async () => {
    const r = reader([fragment('email:a', member('S', 'realized', T0), 1000), fragment('email:a', { person: { name: 'A' } }, 2000)], [evaluatedRow('email:a', 'S', 'exited', T1)]);
    expect(await exported(overlaid(segmentJob()), r)).toEqual([]);
  });

  it('profiles of several fragments are merged between fast-path ones (keys in key order, counted once)', async () => {
    const r = reader([
      fragment('email:a', member('S', 'realized', T0), 1000),
      fragment('email:b', { person: { name: 'old' }, ...member('S', 'realized', T0) }, 1000),
      fragment('email:b', { person: { name: 'new' } }, 2000),
      fragment('email:c', member('S', 'existing', T2)),
    ]);
    const rows = await exported(planExport(segmentJob(), builtInMergePolicy(scope, true)), r);
    expect(keysOf(rows)).toEqual(['email:a', 'email:b', 'email:c']);
    expect(rows[1].person).toEqual({ name: 'new' });
    expect(partsRows).toBe(2);
  });

  it('an event-only profile qualifies by an evaluated row when empty profiles are asked for', async () => {
    const event: EventOut = { key: 'ecid:e1', timestamp: 5, ingestTime: 5, json: JSON.stringify({ identityMap: { ecid: [{ id: 'e1', primary: true }] } }) };
    const plan = overlaid(segmentJob(['realized'], { filter: { segments: [{ segmentNs: 'ups', segmentId: 'S', status: ['realized'] }], emptyProfiles: true } }));
    const rows = await exported(plan, reader([fragment('email:d')], [evaluatedRow('ecid:e1', 'S', 'realized', T1)], [event]));
    expect(keysOf(rows)).toEqual(['ecid:e1']);
    expect(rows[0].segmentMembership).toEqual({ ups: { S: { status: 'realized', lastQualificationTime: T1 } } });
  });
});

describe.each(MODES)('export pipeline (fragments as %s): the stored-bytes fast path writes what merging writes', (m) => {
  beforeEach(() => (mode = m));
  const profiles = () => [
    fragment('email:a', { person: { name: { firstName: 'A', last: 'x' } }, tags: [{ t: 1 }, 'x'], ...member('S', 'realized', T0) }),
    fragment('email:b', { person: { name: 'scalar' }, ...member('S', 'exited', T1) }),
    fragment('email:c', { eventList: ['own'], ...member('T', 'realized', T2) }),
    fragment('email:d'),
  ];
  const eventOf = (key: string, id: string, timestamp: number, ingestTime: number): EventOut => {
    const [ns, v] = key.split(':');
    return { key, timestamp, ingestTime, json: JSON.stringify({ _id: id, web: { url: `u${id}` }, identityMap: { [ns]: [{ id: v }] } }) };
  };
  const events = () => [eventOf('email:a', '2', 20, 5), eventOf('email:a', '1', 10, 6), eventOf('email:c', '3', 5, 7), eventOf('email:d', '4', 5, 8)];
  const shapes: Array<[string, Partial<ExportJob>]> = [
    ['whole', {}],
    ['fields', { fields: 'person.name.firstName,tags.t,identities.id,eventList' }],
    ['fields, segments', { fields: 'person', filter: { segments: [{ segmentNs: 'ups', segmentId: 'S', status: ['realized', 'exited'] }] } }],
    ['eventList', { additionalFields: { eventList: {} } }],
    [
      'eventList with fields and window',
      { fields: 'person.name', additionalFields: { eventList: { fields: 'web.url,_id', filter: { toIngestTimestamp: new Date(7).toISOString() } } } },
    ],
    ['eventList, segments', { additionalFields: { eventList: { fields: '_id' } }, filter: { segments: [{ segmentNs: 'ups', segmentId: 'T', status: ['realized'] }] } }],
  ];
  it.each(shapes)('%s', async (_, over) => {
    const plan = planExport(job(over), builtInMergePolicy(scope, true));
    const merged = profiles().map((f) => ({ ...f, identitiesJson: undefined }));
    const withEvents = (fragments: FragmentOut[]) => reader(fragments, undefined, plan.eventList ? events() : undefined);
    const fast = (await exported(plan, withEvents(profiles()))).map((r) => JSON.stringify(r));
    // Every profile took the fast path but c, whose own eventList the row's replaces in place (merged).
    const cMerged = !!plan.eventList && (!plan.fields || plan.fields.includes('eventList')) && fast.some((r) => r.includes('"email":[{"id":"c"'));
    expect(partsRows).toBe(fast.length - (cMerged ? 1 : 0));
    expect(fast.length).toBeGreaterThan(0);
    expect(fast).toEqual((await exported(plan, withEvents(merged))).map((r) => JSON.stringify(r)));
  });
});
