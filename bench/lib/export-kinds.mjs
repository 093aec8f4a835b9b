// The exports the export bench times in each sandbox, each with the `psql \copy` baseline of the
// stored fragments it reads. BENCH_KINDS=segment|Parquet (substrings of the names) selects some.
import { psql } from '../lib.mjs';

const FIELDS = 'identityMap,person.name,personalEmail.address,homeAddress.country,loyalty.tier';
const STATUSES = ['realized', 'existing', 'exited'];

export function exportKinds({ db, org, sandbox, datasetId, only }) {
  const tenant = (t) => `${t}.org_id = '${org}' AND ${t}.sandbox_name = '${sandbox}'`;
  const largest = psql(db, `SELECT segment_id FROM segment_memberships WHERE sandbox_name = '${sandbox}' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3`).split('\n');
  const members = (ids, statuses) =>
    `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')} AND EXISTS (SELECT 1 FROM segment_memberships m WHERE ${tenant('m')} AND m.segment_ns = 'ups' AND m.segment_id IN (${ids.map((s) => `'${s}'`).join(',')}) AND m.status IN (${statuses.map((s) => `'${s}'`).join(',')}) AND m.identity = f.primary_identity)`;
  const all = `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')}`;
  const kinds = [
    { name: 'all, JSON Lines', body: { destination: { datasetId, outputFormat: 'jsonl' } }, baseline: all },
    { name: 'all, Parquet', body: { destination: { datasetId } }, baseline: all },
    {
      name: 'one segment, JSON Lines',
      body: { destination: { datasetId, outputFormat: 'jsonl' }, filter: { segments: [{ segmentId: largest[0] }] } },
      baseline: members(largest.slice(0, 1), ['realized', 'existing']),
    },
    {
      // Projected to a few fields, three segments in any status: the merge-and-project path.
      name: 'fields, 3 segments x 3 statuses, Parquet',
      body: { fields: FIELDS, destination: { datasetId }, filter: { segments: largest.map((segmentId) => ({ segmentId, status: STATUSES })) } },
      baseline: members(largest, STATUSES),
    },
  ];
  return kinds.filter((k) => !only || only.split('|').some((o) => k.name.includes(o)));
}
