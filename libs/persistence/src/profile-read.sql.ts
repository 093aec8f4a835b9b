import type { TenantScope } from '@sx/domain';
import type { GraphTables } from './identity-graph.sql';
import { sqlString } from './copy-out';
import { asOf, changedKeys, committedAfter } from './chain-snapshot.sql';

/** A membership condition of an export's segment filter, in the store's terms. */
export interface MembershipCondition {
  segmentNs: string;
  segmentId: string;
  /** Stored statuses that satisfy it (realized/existing, or exited). */
  statuses: string[];
}

export type { GraphTables } from './identity-graph.sql';
export { graphTables } from './identity-graph.sql';

export interface ProfileReadPlan {
  identityGraph: 'none' | 'pdg';
  /** Profiles with a membership matching any of these (a superset of the final answer); none: all. */
  segments?: MembershipCondition[];
  qualifiedBetween?: { startMs?: number; endMs?: number };
  /** Stream experience events too (for eventList or empty profiles), optionally by ingest time. */
  events?: { afterMs?: number; upToMs?: number };
  /**
   * Also send what writing a single-fragment profile from its stored text needs: the fragment's
   * `identities` as JSON and where its segmentMembership is (both stored at ingest; null for older rows).
   */
  storedText?: boolean;
  /**
   * Also stream the evaluated memberships (segment_memberships rows with evaluated = true) of these
   * segments, ordered by the same profile key: what overlayMemberships lays over the records' own.
   */
  evaluated?: Array<{ segmentNs: string; segmentId: string }>;
  /**
   * Only profiles whose key is in [from, to) in byte order (an open end is unbounded): one
   * partition of a partitioned export. A profile's rows all have its key, so none spans two ranges.
   */
  keyRange?: { from?: string; to?: string };
  /**
   * A link of an incremental chain (pg_snapshot texts, see chain-snapshot.sql.ts): every profile
   * as it stood in `upTo` (no row of a batch committed after it), and only the profiles with a
   * record (or, when events are read, an event) of a batch committed in `upTo` but not in `after`.
   * No `after`: the first link, every profile.
   */
  snapshot?: { upTo: string; after?: string };
}

/**
 * The SELECTs of one read, each streamed by its own COPY. Fragment columns: key, primary identity
 * (NULL when it is the key), identities JSON, membership offset, dataset, record time, ingest time,
 * record. Event columns: key, event time, ingest time, record. Evaluated columns: key, identity,
 * segment namespace, segment id, status, last qualification time.
 */
export interface ProfileReadSql {
  fragments: string;
  /** Session settings the fragments' read needs besides the common ones (planner choices); '' for none. */
  fragmentSettings: string;
  /** Undefined when the plan asked for no events. */
  events?: string;
  /** Undefined when the plan asked for no evaluated memberships. */
  evaluated?: string;
}

/**
 * The plan a read of every profile must get: the key-ordered index scan, streaming from the first
 * row. Where the sandbox is a large share of profile_fragments (a store shared by several
 * sandboxes) the planner prefers a scan of the whole table and a sort of the sandbox's rows,
 * spilled to disk: 3.2 s instead of 1.4 s for 1M of 2.76M fragments here, and no row before the
 * sort ends. Under `pdg` the same: the fragments in label order through the labels' index, one
 * lookup each, not all of them, records and all, sorted on disk (0.7 s instead of 1.75 s and the
 * first row at once, not after 1.5 s, for 260k fragments). Not for a chain link's few changed
 * keys, where a lookup per key can win.
 */
export const KEY_ORDER = 'SET enable_sort = off';

/**
 * The plan a segment-filtered read must get: a merge join streaming in key order, the fragments
 * by their index and only the members' identities sorted. Left to itself the planner picks a
 * (parallel) hash join and a sort of every selected fragment, or a nested loop of index lookups,
 * whichever its estimates favour after a bulk load; and, as for KEY_ORDER, a scan of the whole
 * table and an on-disk sort of the fragments when the sandbox is a large share of it (5.2 s
 * instead of 1.2 s for 0.5M members among 1M of 2.76M fragments). Sequential scans are what is
 * turned off here, not sorts: with sorts off too a nested loop (as disfavoured as the members'
 * sort) could win on a low estimate, and that is quadratic.
 */
export const MERGE_JOIN = 'SET enable_hashjoin = off; SET enable_nestloop = off; SET max_parallel_workers_per_gather = 0; SET enable_seqscan = off';

const ts = (msValue: number) => `to_timestamp(${msValue} / 1000.0)`;

/** SQL keeping the rows of `alias` within the tenant. */
export function tenantOf(scope: TenantScope, alias: string): string {
  return `${alias}.org_id = ${sqlString(scope.orgId)} AND ${alias}.sandbox_name = ${sqlString(scope.sandboxName)}`;
}

/** ` AND`-prefixed SQL keeping `column` within the plan's key range, in byte order; '' for all keys. */
export function inKeyRange(column: string, range: ProfileReadPlan['keyRange']): string {
  let sql = '';
  if (range?.from !== undefined) sql += ` AND ${column} COLLATE "C" >= ${sqlString(range.from)}`;
  if (range?.to !== undefined) sql += ` AND ${column} COLLATE "C" < ${sqlString(range.to)}`;
  return sql;
}

/** SQL on `m` (segment_memberships): the row is of one of these segments. */
function ofSegments(segments: ReadonlyArray<{ segmentNs: string; segmentId: string }>): string {
  return segments.map((x) => `(m.segment_ns = ${sqlString(x.segmentNs)} AND m.segment_id = ${sqlString(x.segmentId)})`).join(' OR ');
}

/** SQL on `m` (segment_memberships): the membership matches the plan's segments, statuses and window; undefined without a segment filter. */
export function membershipConditions(plan: ProfileReadPlan): string | undefined {
  if (!plan.segments?.length) return undefined;
  const conditions = plan.segments
    .map((s) => `(m.segment_ns = ${sqlString(s.segmentNs)} AND m.segment_id = ${sqlString(s.segmentId)} AND m.status IN (${s.statuses.map(sqlString).join(', ')}))`)
    .join(' OR ');
  const window = [
    plan.qualifiedBetween?.startMs !== undefined ? `m.last_qualification_time >= ${ts(plan.qualifiedBetween.startMs)}` : '',
    plan.qualifiedBetween?.endMs !== undefined ? `m.last_qualification_time <= ${ts(plan.qualifiedBetween.endMs)}` : '',
  ].filter(Boolean);
  return `(${conditions}) ${window.map((w) => `AND ${w}`).join(' ')}`;
}

/**
 * The membership pre-filter of a read: membershipConditions, except that the rows are current
 * while a read is as of its snapshot. Once a batch of the tenant was committed after the snapshot,
 * a member may since have moved (exited, qualified later): the rows are then asked only for the
 * segment, and the profile merged as of the snapshot decides status and window, as it always does.
 * The EXISTS is evaluated once per read (an InitPlan); with nothing committed since, the filter is
 * as precise as ever.
 */
function membershipPrefilter(scope: TenantScope, plan: ProfileReadPlan): string | undefined {
  const precise = membershipConditions(plan);
  if (!precise || !plan.snapshot || !plan.segments) return precise;
  return `(${precise} OR (EXISTS (${committedAfter(scope, plan.snapshot.upTo)}) AND (${ofSegments(plan.segments)})))`;
}

/** The distinct identities (in byte order) with a membership matching the plan's segment filter. */
export function membersOf(scope: TenantScope, plan: ProfileReadPlan, keyRange: string): string | undefined {
  const matching = membershipPrefilter(scope, plan);
  if (!matching) return undefined;
  return `SELECT DISTINCT m.identity COLLATE "C" AS identity FROM segment_memberships m
      WHERE ${tenantOf(scope, 'm')} AND ${matching} ${keyRange}`;
}

/** SQL that is true when the identity has a membership matching the plan's segment filter. */
export function membershipPredicate(scope: TenantScope, plan: ProfileReadPlan, identityColumn: string): string | undefined {
  const matching = membershipPrefilter(scope, plan);
  if (!matching) return undefined;
  return `EXISTS (SELECT 1 FROM segment_memberships m WHERE ${tenantOf(scope, 'm')}
      AND m.identity = ${identityColumn} AND ${matching})`;
}

/** ` AND`-prefixed SQL on `e` (experience_events) keeping the plan's ingest window. */
function inEventWindow(plan: ProfileReadPlan): string {
  const window = [
    plan.events?.afterMs !== undefined ? `e.ingest_time > ${ts(plan.events.afterMs)}` : '',
    plan.events?.upToMs !== undefined ? `e.ingest_time <= ${ts(plan.events.upToMs)}` : '',
  ].filter(Boolean);
  return window.map((w) => `AND ${w}`).join(' ');
}

/** The evaluated memberships of the plan's `evaluated` segments under `keyColumn` (SQL on `m`); undefined for none. */
function evaluatedRows(scope: TenantScope, plan: ProfileReadPlan, keyColumn: string): string | undefined {
  if (!plan.evaluated?.length) return undefined;
  // The key is named in a subquery: `ORDER BY 1 COLLATE "C"` would sort by the constant 1.
  return `SELECT * FROM (SELECT ${keyColumn} AS profile_key, m.identity, m.segment_ns, m.segment_id, m.status, m.last_qualification_time
           FROM segment_memberships m WHERE ${tenantOf(scope, 'm')} AND m.evaluated AND (${ofSegments(plan.evaluated)})) r
          WHERE true ${inKeyRange('r.profile_key', plan.keyRange)}
          ORDER BY r.profile_key COLLATE "C", r.segment_ns, r.segment_id`;
}

const storedTextColumns = (plan: ProfileReadPlan) => (plan.storedText ? 'f.identities_json, f.membership_at' : 'NULL, NULL');

/** Identity graph `none`: the key is the primary identity, sent once (NULL in its second place). */
function byPrimaryIdentity(scope: TenantScope, plan: ProfileReadPlan): ProfileReadSql {
  const range = plan.keyRange;
  const columns = `f.primary_identity, NULL, ${storedTextColumns(plan)}, f.dataset_id, f.record_time, f.ingest_time, f.record`;
  const members = membersOf(scope, plan, inKeyRange('m.identity', range));
  const asOfSnapshot = (alias: string) => asOf(scope, plan.snapshot, alias);
  const changed = plan.snapshot?.after !== undefined ? changedKeys(scope, { upTo: plan.snapshot.upTo, after: plan.snapshot.after }, plan.events !== undefined) : undefined;
  const inChain = (column: string) => (changed ? ` AND ${column} COLLATE "C" IN (SELECT c.key FROM (${changed}) c)` : '');
  // With a segment filter: one ordered merge of the fragments (read in key order by their index)
  // against the members' identities (sorted once), under MERGE_JOIN. One index lookup per member
  // took 1.7-2.6x as long; a hash join sorts every selected fragment before the first row leaves.
  const fragmentRows = `${tenantOf(scope, 'f')} ${inKeyRange('f.primary_identity', range)}${asOfSnapshot('f')}${inChain('f.primary_identity')}`;
  const fragments = members
    ? `SELECT ${columns} FROM profile_fragments f WHERE ${fragmentRows}
              AND f.primary_identity COLLATE "C" IN (SELECT q.identity FROM (${members}) q)
              ORDER BY f.primary_identity COLLATE "C", f.id`
    : `SELECT ${columns} FROM profile_fragments f WHERE ${fragmentRows} ORDER BY f.primary_identity COLLATE "C", f.id`;
  const events = plan.events
    ? `SELECT e.primary_identity, e.event_time, e.ingest_time, e.record
            FROM experience_events e WHERE ${tenantOf(scope, 'e')} ${inEventWindow(plan)} ${inKeyRange('e.primary_identity', range)}${asOfSnapshot('e')}${inChain('e.primary_identity')}
            ORDER BY e.primary_identity COLLATE "C", e.id`
    : undefined;
  return { fragments, fragmentSettings: members ? MERGE_JOIN : changed ? '' : KEY_ORDER, events, evaluated: evaluatedRows(scope, plan, 'm.identity') };
}

/** Whether a `pdg` read of this plan looks identities up in the identity labels table (else it is not built). */
export function readsIdentityLabels(plan: ProfileReadPlan): boolean {
  return membershipConditions(plan) !== undefined || plan.events !== undefined || Boolean(plan.evaluated?.length);
}

/** Identity graph `pdg`: the key is the component's label in the scratch tables. */
function byComponent(scope: TenantScope, plan: ProfileReadPlan, { fragmentLabels, identityLabels }: GraphTables): ProfileReadSql {
  const membership = membershipPredicate(scope, plan, 'q.primary_identity');
  // An evaluated row is stored under the merged profile's primary identity, which need not
  // be any fragment's own primary identity: those rows find their component by any identity.
  const evaluatedMembers = membershipConditions(plan);
  const qualifying = membership
    ? `AND l.label IN (SELECT l2.label FROM ${fragmentLabels} l2 JOIN profile_fragments q ON q.id = l2.fid WHERE ${membership}
              UNION SELECT il.label FROM ${identityLabels} il JOIN segment_memberships m ON m.identity = il.ident
               WHERE ${tenantOf(scope, 'm')} AND m.evaluated AND ${evaluatedMembers})`
    : '';
  const fragments = `SELECT l.label, f.primary_identity, ${storedTextColumns(plan)}, f.dataset_id, f.record_time, f.ingest_time, f.record
          FROM ${fragmentLabels} l JOIN profile_fragments f ON f.id = l.fid WHERE true ${inKeyRange('l.label', plan.keyRange)} ${qualifying}
          ORDER BY l.label COLLATE "C", f.id`;
  // An event belongs to the component of any of its identities; one with no known identity is its own profile.
  // Sorted outside: `ORDER BY 1 COLLATE "C"` would sort by the constant 1 (and fail).
  const events = plan.events
    ? `SELECT x.label, x.event_time, x.ingest_time, x.record FROM (
              SELECT COALESCE((SELECT min(il.label COLLATE "C") FROM ${identityLabels} il WHERE il.ident = ANY(e.identities)), e.primary_identity) AS label,
                     e.event_time, e.ingest_time, e.record, e.id
                FROM experience_events e WHERE ${tenantOf(scope, 'e')} ${inEventWindow(plan)}${asOf(scope, plan.snapshot, 'e')}) x
            WHERE true ${inKeyRange('x.label', plan.keyRange)}
            ORDER BY x.label COLLATE "C", x.id`
    : undefined;
  const evaluated = evaluatedRows(scope, plan, `COALESCE((SELECT il.label FROM ${identityLabels} il WHERE il.ident = m.identity), m.identity)`);
  // Not with a segment filter: with sorts off, the planner kept the labels' order by a nested loop
  // over the qualifying labels (a join filter, quadratic) rather than hash them and sort after.
  return { fragments, fragmentSettings: qualifying ? '' : KEY_ORDER, events, evaluated };
}

/**
 * The SQL text of a read: fragments, and events and evaluated memberships when the plan asks for
 * them, each ordered by the profile key in byte order. `graph` names the scratch tables of a `pdg`
 * read (built before these run); a `none` read needs none.
 */
export function profileReadSql(scope: TenantScope, plan: ProfileReadPlan, graph?: GraphTables): ProfileReadSql {
  if (plan.identityGraph === 'none') return byPrimaryIdentity(scope, plan);
  // Refused at the API and by the planner (CHAIN_NEEDS_NO_GRAPH): which components changed is not built.
  if (plan.snapshot?.after !== undefined) throw new Error('an incremental chain link cannot read through the identity graph');
  if (!graph) throw new Error('an identity-graph read needs its scratch tables');
  return byComponent(scope, plan, graph);
}

/** A single-row `found` boolean: whether any evaluated membership of these segments exists in the sandbox. */
export function hasEvaluatedSql(scope: TenantScope, segments: ReadonlyArray<{ segmentNs: string; segmentId: string }>): string {
  return `SELECT EXISTS (SELECT 1 FROM segment_memberships m
          WHERE ${tenantOf(scope, 'm')} AND m.evaluated AND (${ofSegments(segments)})) AS found`;
}
