// SQL text of a batch promotion (see BulkIngestRepository).
import type { DatasetKind } from '@sx/domain';

/** The transaction's scratch table of the batch's rows (temporary: per connection, dropped at commit or rollback). */
export const STAGED = 'ingest_staged_rows';
export const STORE: Record<DatasetKind, { table: string; columns: string }> = {
  profile: {
    table: 'profile_fragments',
    columns: 'org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time, identities_json, membership_at',
  },
  event: {
    table: 'experience_events',
    columns: 'org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, event_id, event_time',
  },
};
/**
 * Staged beside each profile row (never stored in the fragments): its memberships as parallel
 * arrays, unnested by the membership upsert instead of parsing every record's JSON again.
 */
export const STAGED_MEMBERSHIPS = { columns: 'm_ns, m_segment, m_status, m_time', types: 'NULL::text[], NULL::text[], NULL::text[], NULL::timestamptz[]' };
export const stagedColumns = (kind: DatasetKind) => (kind === 'profile' ? `${STORE.profile.columns}, ${STAGED_MEMBERSHIPS.columns}` : STORE.event.columns);
/**
 * Memberships of the batch's fragments, per (namespace, segment, primary identity); an entry
 * replaces the stored one only if it qualified later. A missing lastQualificationTime counts as
 * the ingest time. $1, $2: the tenant.
 */
export const UPSERT_MEMBERSHIPS_SQL = `INSERT INTO segment_memberships AS m (org_id, sandbox_name, segment_ns, segment_id, identity, status, last_qualification_time)
       SELECT DISTINCT ON (s.ns, s.segment, f.primary_identity)
              $1, $2, s.ns, s.segment, f.primary_identity, s.status, COALESCE(s.at, f.ingest_time)
         FROM ${STAGED} f
         CROSS JOIN LATERAL unnest(f.m_ns, f.m_segment, f.m_status, f.m_time) AS s(ns, segment, status, at)
        WHERE f.m_ns IS NOT NULL
        ORDER BY s.ns, s.segment, f.primary_identity, COALESCE(s.at, f.ingest_time) DESC
       ON CONFLICT (org_id, sandbox_name, segment_ns, segment_id, identity) DO UPDATE
          SET status = EXCLUDED.status, last_qualification_time = EXCLUDED.last_qualification_time, evaluated = false
        WHERE m.last_qualification_time < EXCLUDED.last_qualification_time
           OR (m.last_qualification_time = EXCLUDED.last_qualification_time AND NOT m.evaluated)`;
