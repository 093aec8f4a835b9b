import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { TenantScope } from '@sx/domain';
import { BulkPool } from './bulk-pool';
import { copyBinaryBatches, sqlString } from './copy-out';
import { translateStoreError } from './store-errors';

/** A membership condition of an export's segment filter, in the store's terms. */
export interface MembershipCondition {
  segmentNs: string;
  segmentId: string;
  /** Stored statuses that satisfy it (realized/existing, or exited). */
  statuses: string[];
}

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
}

export interface FragmentOut {
  key: string;
  /** `namespace:id` of the fragment's primary identity. */
  primaryIdentity: string;
  /** `[{id, namespace: {code}, primary}]` of the fragment when the plan asked for it and it is stored. */
  identitiesJson?: string;
  /**
   * Byte offset in the stored text of the record's top-level `"segmentMembership"` key, -1 when it
   * has none, when the plan asked for it and it is stored.
   */
  membershipAt?: number;
  datasetId: string;
  recordTime: number;
  ingestTime: number;
  /** The stored record's JSON text (decoded on first use). */
  readonly json: string;
  /** The same text as UTF-8 bytes, as Postgres sent them (a view into the chunk read). */
  readonly jsonBytes: Buffer;
}

/** A fragment whose text is decoded only if something asks for it as a string. */
class StoredFragment implements FragmentOut {
  private text?: string;
  constructor(
    readonly key: string,
    readonly primaryIdentity: string,
    readonly identitiesJson: string | undefined,
    readonly membershipAt: number | undefined,
    readonly datasetId: string,
    readonly recordTime: number,
    readonly ingestTime: number,
    readonly jsonBytes: Buffer,
  ) {}

  get json(): string {
    return (this.text ??= this.jsonBytes.toString('utf8'));
  }
}

export interface EventOut {
  key: string;
  timestamp: number;
  ingestTime: number;
  /** The stored event's JSON text (decoded on first use when read from the store). */
  readonly json: string;
  /** The same text as UTF-8 bytes, as Postgres sent them; absent: encode `json`. */
  readonly jsonBytes?: Buffer;
}

/** An event whose text is decoded only if something asks for it as a string. */
class StoredEventRow implements EventOut {
  private text?: string;
  constructor(
    readonly key: string,
    readonly timestamp: number,
    readonly ingestTime: number,
    readonly jsonBytes: Buffer,
  ) {}

  get json(): string {
    return (this.text ??= this.jsonBytes.toString('utf8'));
  }
}

export interface EvaluatedOut {
  key: string;
  /** The row's identity (`ns:id`): the key under `none`, an identity of the key's component under `pdg`. */
  identity: string;
  segmentNs: string;
  segmentId: string;
  status: string;
  lastQualificationTime: number;
}

export interface ProfileReader {
  /** Fragments ordered by profile key (byte order), then id; in batches (one per chunk read). */
  fragments: AsyncIterable<FragmentOut[]>;
  /** Events ordered by the same key, then id, in batches; undefined when the plan asked for none. */
  events?: AsyncIterable<EventOut[]>;
  /** Evaluated memberships ordered by the same key; undefined when the plan asked for none. */
  evaluated?: AsyncIterable<EvaluatedOut[]>;
  close(): Promise<void>;
}

const ts = (msValue: number) => `to_timestamp(${msValue} / 1000.0)`;

/** ` AND`-prefixed SQL keeping `column` within the plan's key range, in byte order; '' for all keys. */
function inKeyRange(column: string, range: ProfileReadPlan['keyRange']): string {
  let sql = '';
  if (range?.from !== undefined) sql += ` AND ${column} COLLATE "C" >= ${sqlString(range.from)}`;
  if (range?.to !== undefined) sql += ` AND ${column} COLLATE "C" < ${sqlString(range.to)}`;
  return sql;
}

/**
 * The export's bulk read path: COPY ... TO STDOUT streams, never a page through Prisma. Memory
 * is one chunk at a time. Under identity graph `pdg` the profile key is the connected component
 * of identities, computed first in scratch tables by label propagation.
 */
@Injectable()
export class ProfileReadRepository {
  constructor(private readonly pool: BulkPool) {}

  async open(scope: TenantScope, plan: ProfileReadPlan): Promise<ProfileReader> {
    await this.refreshStatistics();
    const clients: PoolClient[] = [];
    const streams: Readable[] = [];
    const scratch: string[] = [];
    const close = async () => {
      for (const s of streams) s.destroy();
      for (const c of clients) c.release(true); // destroy: a half-read COPY cannot go back to the pool
      clients.length = 0;
      if (scratch.length) {
        const c = await this.pool.connect();
        try {
          await c.query(`DROP TABLE IF EXISTS ${scratch.join(', ')}`);
        } finally {
          c.release();
        }
      }
    };
    try {
      const tenant = (alias: string) => `${alias}.org_id = ${sqlString(scope.orgId)} AND ${alias}.sandbox_name = ${sqlString(scope.sandboxName)}`;
      let fragmentSql: string;
      let eventSql: string | undefined;
      let evaluatedSql: string | undefined;
      const evaluatedSegments = plan.evaluated?.length
        ? plan.evaluated.map((x) => `(m.segment_ns = ${sqlString(x.segmentNs)} AND m.segment_id = ${sqlString(x.segmentId)})`).join(' OR ')
        : undefined;
      // The key is named in a subquery: `ORDER BY 1 COLLATE "C"` would sort by the constant 1.
      const range = plan.keyRange;
      const evaluatedRows = (keyColumn: string) =>
        `SELECT * FROM (SELECT ${keyColumn} AS profile_key, m.identity, m.segment_ns, m.segment_id, m.status, m.last_qualification_time
           FROM segment_memberships m WHERE ${tenant('m')} AND m.evaluated AND (${evaluatedSegments})) r
          WHERE true ${inKeyRange('r.profile_key', range)}
          ORDER BY r.profile_key COLLATE "C", r.segment_ns, r.segment_id`;
      const eventWindow = [
        plan.events?.afterMs !== undefined ? `e.ingest_time > ${ts(plan.events.afterMs)}` : '',
        plan.events?.upToMs !== undefined ? `e.ingest_time <= ${ts(plan.events.upToMs)}` : '',
      ].filter(Boolean);

      const storedTextColumns = plan.storedText ? 'f.identities_json, f.membership_at' : 'NULL, NULL';
      if (plan.identityGraph === 'none') {
        // The key is the primary identity: sent once (NULL in its second place).
        const columns = `f.primary_identity, NULL, ${storedTextColumns}, f.dataset_id, f.record_time, f.ingest_time, f.record`;
        const members = this.membersOf(scope, plan, inKeyRange('m.identity', range));
        // With a segment filter the members drive: their identities, sorted (a small sort), each
        // looks up its fragments by index. Written as EXISTS, the planner prefers a hash join and
        // then sorts every selected fragment before the first row leaves: the worker idles
        // seconds, then Postgres idles. This plan streams from the first row.
        fragmentSql = members
          ? `SELECT ${columns} FROM (${members}) q
              CROSS JOIN LATERAL (SELECT * FROM profile_fragments f WHERE ${tenant('f')} AND f.primary_identity = q.identity OFFSET 0) f
              ORDER BY q.identity, f.id`
          : `SELECT ${columns} FROM profile_fragments f WHERE ${tenant('f')} ${inKeyRange('f.primary_identity', range)} ORDER BY f.primary_identity COLLATE "C", f.id`;
        if (plan.events) {
          eventSql = `SELECT e.primary_identity, e.event_time, e.ingest_time, e.record
            FROM experience_events e WHERE ${tenant('e')} ${eventWindow.map((w) => `AND ${w}`).join(' ')} ${inKeyRange('e.primary_identity', range)}
            ORDER BY e.primary_identity COLLATE "C", e.id`;
        }
        if (evaluatedSegments) evaluatedSql = evaluatedRows('m.identity');
      } else {
        const { fragmentLabels, identityLabels } = await this.buildGraph(tenant('f'), scratch);
        const membership = this.membershipPredicate(scope, plan, 'q.primary_identity');
        // An evaluated row is stored under the merged profile's primary identity, which need not
        // be any fragment's own primary identity: those rows find their component by any identity.
        const evaluatedMembers = this.membershipConditions(plan);
        const qualifying = membership
          ? `AND l.label IN (SELECT l2.label FROM ${fragmentLabels} l2 JOIN profile_fragments q ON q.id = l2.fid WHERE ${membership}
              UNION SELECT il.label FROM ${identityLabels} il JOIN segment_memberships m ON m.identity = il.ident
               WHERE ${tenant('m')} AND m.evaluated AND ${evaluatedMembers})`
          : '';
        fragmentSql = `SELECT l.label, f.primary_identity, ${storedTextColumns}, f.dataset_id, f.record_time, f.ingest_time, f.record
          FROM ${fragmentLabels} l JOIN profile_fragments f ON f.id = l.fid WHERE true ${inKeyRange('l.label', range)} ${qualifying}
          ORDER BY l.label COLLATE "C", f.id`;
        if (plan.events) {
          // An event belongs to the component of any of its identities; one with no known identity is its own profile.
          // Sorted outside: `ORDER BY 1 COLLATE "C"` would sort by the constant 1 (and fail).
          eventSql = `SELECT x.label, x.event_time, x.ingest_time, x.record FROM (
              SELECT COALESCE((SELECT min(il.label COLLATE "C") FROM ${identityLabels} il WHERE il.ident = ANY(e.identities)), e.primary_identity) AS label,
                     e.event_time, e.ingest_time, e.record, e.id
                FROM experience_events e WHERE ${tenant('e')} ${eventWindow.map((w) => `AND ${w}`).join(' ')}) x
            WHERE true ${inKeyRange('x.label', range)}
            ORDER BY x.label COLLATE "C", x.id`;
        }
        if (evaluatedSegments) {
          evaluatedSql = evaluatedRows(`COALESCE((SELECT il.label FROM ${identityLabels} il WHERE il.ident = m.identity), m.identity)`);
        }
      }

      /** A COPY ... TO STDOUT on a client of its own, after `settings` (the client is destroyed at close). */
      const copyOut = async (sql: string, settings: string) => {
        const client = await this.pool.connect();
        clients.push(client);
        let stream: Readable | undefined;
        // A checked-out client has no pool listener: its errors (connection cut) must fail the stream, not the process.
        client.on('error', (e) => stream?.destroy(e));
        await client.query(settings);
        stream = client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`));
        // Errors before the first read (or after an early stop) must not be thrown at the process.
        stream.on('error', () => undefined);
        streams.push(stream);
        return stream;
      };
      // JIT compiles the plan before the first row (a second here) to speed up per-row
      // expressions these reads barely have. work_mem: a segment filter sorts its members'
      // identities first (a few dozen MB for millions), kept in memory instead of spilled to disk.
      const fragmentStream = await copyOut(fragmentSql, `SET jit = off; SET work_mem = '64MB'`);
      const fragments = (async function* () {
        for await (const b of copyBinaryBatches(fragmentStream, 8)) {
          const out = new Array<FragmentOut>(b.rows);
          for (let r = 0; r < b.rows; r++) {
            const key = b.text(r, 0)!;
            out[r] = new StoredFragment(
              key,
              b.text(r, 1) ?? key,
              b.text(r, 2) ?? undefined,
              b.integer(r, 3) ?? undefined,
              b.text(r, 4)!,
              b.timestampMs(r, 5)!,
              b.timestampMs(r, 6)!,
              b.bytes(r, 7)!,
            );
          }
          yield out;
        }
      })();
      let events: AsyncIterable<EventOut[]> | undefined;
      if (eventSql) {
        const eventStream = await copyOut(eventSql, 'SET jit = off');
        events = (async function* () {
          for await (const b of copyBinaryBatches(eventStream, 4)) {
            const out = new Array<EventOut>(b.rows);
            for (let r = 0; r < b.rows; r++) out[r] = new StoredEventRow(b.text(r, 0)!, b.timestampMs(r, 1)!, b.timestampMs(r, 2)!, b.bytes(r, 3)!);
            yield out;
          }
        })();
      }
      let evaluated: AsyncIterable<EvaluatedOut[]> | undefined;
      if (evaluatedSql) {
        const evaluatedStream = await copyOut(evaluatedSql, 'SET jit = off');
        evaluated = (async function* () {
          for await (const b of copyBinaryBatches(evaluatedStream, 6)) {
            const out = new Array<EvaluatedOut>(b.rows);
            for (let r = 0; r < b.rows; r++) {
              out[r] = {
                key: b.text(r, 0)!,
                identity: b.text(r, 1)!,
                segmentNs: b.text(r, 2)!,
                segmentId: b.text(r, 3)!,
                status: b.text(r, 4)!,
                lastQualificationTime: b.timestampMs(r, 5)!,
              };
            }
            yield out;
          }
        })();
      }
      return { fragments, events, evaluated, close };
    } catch (e) {
      await close().catch(() => undefined);
      return translateStoreError(e);
    }
  }

  /**
   * Whether any evaluated membership (segment_memberships.evaluated) of these segments exists in
   * the sandbox: an export streams them for its overlay only then (a partial index answers it).
   */
  async hasEvaluated(scope: TenantScope, segments: ReadonlyArray<{ segmentNs: string; segmentId: string }>): Promise<boolean> {
    if (!segments.length) return false;
    try {
      const which = segments.map((x) => `(m.segment_ns = ${sqlString(x.segmentNs)} AND m.segment_id = ${sqlString(x.segmentId)})`).join(' OR ');
      const r = await this.pool.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM segment_memberships m
          WHERE m.org_id = ${sqlString(scope.orgId)} AND m.sandbox_name = ${sqlString(scope.sandboxName)} AND m.evaluated AND (${which})) AS found`,
      );
      return r.rows[0]?.found === true;
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /**
   * Right after a bulk load the planner's statistics still describe the empty tables, and it
   * picks a nested loop that turns a segment export quadratic. Tables changed by more than a
   * tenth since their last ANALYZE are analysed first (a sample: seconds even for millions of rows).
   */
  private async refreshStatistics(): Promise<void> {
    try {
      const stale = await this.pool.query<{ relname: string }>(
        `SELECT relname FROM pg_stat_user_tables
          WHERE relname IN ('profile_fragments', 'segment_memberships', 'experience_events')
            AND n_mod_since_analyze > 1000 AND n_mod_since_analyze > n_live_tup / 10`,
      );
      for (const { relname } of stale.rows) await this.pool.query(`ANALYZE ${relname}`);
    } catch (e) {
      translateStoreError(e);
    }
  }

  /** The distinct identities (in byte order) with a membership matching the plan's segment filter. */
  private membersOf(scope: TenantScope, plan: ProfileReadPlan, keyRange: string): string | undefined {
    const matching = this.membershipConditions(plan);
    if (!matching) return undefined;
    return `SELECT DISTINCT m.identity COLLATE "C" AS identity FROM segment_memberships m
      WHERE m.org_id = ${sqlString(scope.orgId)} AND m.sandbox_name = ${sqlString(scope.sandboxName)} AND ${matching} ${keyRange}`;
  }

  /** SQL on `m` (segment_memberships): the membership matches the plan's segments, statuses and window. */
  private membershipConditions(plan: ProfileReadPlan): string | undefined {
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

  /** SQL that is true when the identity has a membership matching the plan's segment filter. */
  private membershipPredicate(scope: TenantScope, plan: ProfileReadPlan, identityColumn: string): string | undefined {
    const matching = this.membershipConditions(plan);
    if (!matching) return undefined;
    return `EXISTS (SELECT 1 FROM segment_memberships m WHERE m.org_id = ${sqlString(scope.orgId)} AND m.sandbox_name = ${sqlString(scope.sandboxName)}
      AND m.identity = ${identityColumn} AND ${matching})`;
  }

  /**
   * Connected components of the identity graph (fragments linked by any shared identity), by
   * label propagation: every fragment and identity ends labelled with the smallest identity of
   * its component. Rounds repeat until no label changes (the graph's diameter, small in practice).
   */
  private async buildGraph(tenantOfF: string, scratch: string[]) {
    const suffix = randomBytes(6).toString('hex');
    const fragmentIdentities = `export_graph_fi_${suffix}`;
    const fragmentLabels = `export_graph_fl_${suffix}`;
    const identityLabels = `export_graph_il_${suffix}`;
    scratch.push(fragmentIdentities, fragmentLabels, identityLabels);
    const c = await this.pool.connect();
    try {
      await c.query(`CREATE UNLOGGED TABLE ${fragmentIdentities} AS
        SELECT f.id AS fid, i AS ident FROM profile_fragments f, unnest(f.identities) AS i WHERE ${tenantOfF}`);
      await c.query(`CREATE INDEX ON ${fragmentIdentities} (ident COLLATE "C")`);
      await c.query(`CREATE INDEX ON ${fragmentIdentities} (fid)`);
      await c.query(`CREATE UNLOGGED TABLE ${fragmentLabels} AS
        SELECT fid, min(ident COLLATE "C") AS label FROM ${fragmentIdentities} GROUP BY fid`);
      await c.query(`CREATE UNIQUE INDEX ON ${fragmentLabels} (fid)`);
      await c.query(`CREATE UNLOGGED TABLE ${identityLabels} (ident text COLLATE "C" PRIMARY KEY, label text COLLATE "C")`);
      for (let round = 0; round < 100; round++) {
        await c.query(`TRUNCATE ${identityLabels}`);
        await c.query(`INSERT INTO ${identityLabels}
          SELECT fi.ident, min(fl.label COLLATE "C") FROM ${fragmentIdentities} fi JOIN ${fragmentLabels} fl USING (fid) GROUP BY fi.ident`);
        const changed = await c.query(`UPDATE ${fragmentLabels} fl SET label = n.label
          FROM (SELECT fi.fid, min(il.label COLLATE "C") AS label FROM ${fragmentIdentities} fi JOIN ${identityLabels} il ON il.ident = fi.ident GROUP BY fi.fid) n
          WHERE n.fid = fl.fid AND n.label COLLATE "C" < fl.label COLLATE "C"`);
        if (!changed.rowCount) break;
      }
      await c.query(`ANALYZE ${fragmentLabels}`);
      return { fragmentLabels, identityLabels };
    } finally {
      c.release();
    }
  }
}
