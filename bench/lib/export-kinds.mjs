// The exports the export bench times in each sandbox (the kinds issue #13's targets name), each
// with the `psql \copy` baseline of the stored records it reads: the fragments of exactly the
// profiles it exports (plus their events for eventList). BENCH_KINDS=segment|Parquet (substrings
// of the names joined by `|`) selects some. Every kind runs as JSON Lines and as Parquet, except
// eventList (JSON Lines); `fields ref` also as CSV; a chain's first link as JSON Lines; pdg needs
// two profile datasets and runs on the generator's records only.
import { psql } from '../lib.mjs';

/** The reference's projection (issue #13). */
const REF_FIELDS = 'person.name.firstName,personalEmail.address';
/** Through an array of objects (`subscriptions`, both record shapes) plus a top-level object whole. */
const DEEP_FIELDS = 'subscriptions.channel,homeAddress,person.name.lastName';
const STATUSES = ['realized', 'existing', 'exited'];
/** What a segment without `status` accepts (`realized`, and `existing`, which means the same). */
const DEFAULT_STATUSES = ['realized', 'existing'];
const FORMATS = [
  ['JSON Lines', 'jsonl'],
  ['Parquet', 'parquet'],
];

const quoted = (xs) => xs.map((s) => `'${s}'`).join(',');

/** The merge policy of the pdg kind: created once per sandbox through the API (not the default). */
async function pdgPolicy(call) {
  const list = await call('GET', '/data/core/ups/config/mergePolicies?identityGraph.type=pdg&limit=100');
  const found = list.children.find((p) => p.name === 'bench pdg');
  if (found) return found.id;
  const created = await call('POST', '/data/core/ups/config/mergePolicies', {
    name: 'bench pdg',
    identityGraph: { type: 'pdg' },
    attributeMerge: { type: 'timestampOrdered' },
    schema: { name: '_xdm.context.profile' },
  });
  return created.id;
}

export async function exportKinds({ db, org, sandbox, datasetId, records, call, only }) {
  const tenant = (t) => `${t}.org_id = '${org}' AND ${t}.sandbox_name = '${sandbox}'`;
  const largest = psql(db, `SELECT segment_id FROM segment_memberships WHERE ${tenant('segment_memberships')} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3`).split('\n');
  // A qualification window over about the first half (by time) of the three segments' memberships.
  const [startTime, endTime] = psql(
    db,
    `SELECT to_char(min(t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' ' || to_char(percentile_disc(0.5) WITHIN GROUP (ORDER BY t) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       FROM (SELECT last_qualification_time t FROM segment_memberships WHERE ${tenant('segment_memberships')} AND segment_ns = 'ups' AND segment_id IN (${quoted(largest)})) x`,
  ).split(' ');
  const window = `m.last_qualification_time BETWEEN '${startTime}' AND '${endTime}'`;
  const members = (ids, statuses, extra = 'true') =>
    `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')} AND EXISTS (SELECT 1 FROM segment_memberships m WHERE ${tenant('m')} AND m.segment_ns = 'ups' AND m.segment_id IN (${quoted(ids)}) AND m.status IN (${quoted(statuses)}) AND ${extra} AND m.identity = f.primary_identity)`;
  const all = `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')}`;
  // Under identity graph none an eventList export reads every event of the sandbox with the fragments.
  const withEvents = `${all} UNION ALL SELECT e.record FROM experience_events e WHERE ${tenant('e')}`;
  const three = (status) => largest.map((segmentId) => (status ? { segmentId, status } : { segmentId }));

  // [name, body without destination, destination extras, baseline, formats]
  const shapes = [
    [
      'fields ref',
      { fields: REF_FIELDS, filter: { segments: [{ segmentId: largest[0], status: ['realized', 'exited'] }] } },
      {},
      members(largest.slice(0, 1), ['realized', 'exited']),
      // CSV needs `fields` without arrays: this kind's only.
      [...FORMATS, ['CSV', 'csv']],
    ],
    ['fields deep', { fields: DEEP_FIELDS }, {}, all],
    ['whole', {}, {}, all],
    ['one segment', { filter: { segments: [{ segmentId: largest[0] }] } }, {}, members(largest.slice(0, 1), DEFAULT_STATUSES)],
    ['segments+window', { filter: { segments: three(STATUSES), segmentQualificationTime: { startTime, endTime } } }, {}, members(largest, STATUSES, window)],
    ['segmentPerBatch', { filter: { segments: three() } }, { segmentPerBatch: true }, members(largest, DEFAULT_STATUSES)],
    ['eventList', { additionalFields: { eventList: { fields: 'timestamp,eventType' } } }, {}, withEvents, FORMATS.slice(0, 1)],
  ];
  const selected = (name) => !only || only.split('|').some((o) => name.includes(o));
  const kinds = [];
  for (const [shape, body, destination, baseline, formats = FORMATS] of shapes) {
    for (const [label, outputFormat] of formats) kinds.push({ name: `${shape}, ${label}`, body: { ...body, destination: { datasetId, outputFormat, ...destination } }, baseline });
  }
  // The first link of a new chain each run (issue #15): every profile, read as of its snapshot.
  for (const [label, outputFormat] of FORMATS.slice(0, 1)) {
    let link = 0;
    kinds.push({
      name: `chain first link, ${label}`,
      get body() {
        return { filter: { chainId: `bench-${process.pid}-${Date.now()}-${++link}` }, destination: { datasetId, outputFormat } };
      },
      baseline: all,
    });
  }
  if (records === 'generator' && FORMATS.some(([label]) => selected(`pdg, ${label}`))) {
    // The generator's CRM and web records of one person share an e-mail identity: pdg merges them.
    const mergePolicyId = await pdgPolicy(call);
    for (const [label, outputFormat] of FORMATS)
      kinds.push({ name: `pdg, ${label}`, body: { mergePolicy: { id: mergePolicyId }, destination: { datasetId, outputFormat } }, baseline: all });
  }
  return kinds.filter((k) => selected(k.name));
}
