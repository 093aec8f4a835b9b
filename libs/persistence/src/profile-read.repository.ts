import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { TenantScope } from '@sx/domain';
import { BulkPool } from './bulk-pool';
import { copyBinaryBatches } from './copy-out';
import { FragmentBatch, FragmentOut, fragmentBatchesOf, fragmentObjectsOf } from './fragment-batch';
import { GraphTables, allGraphTables, graphTables, identityGraphSql } from './identity-graph.sql';
import { asOf } from './chain-snapshot.sql';
import { hasEvaluatedSql, profileReadSql, ProfileReadPlan, readsIdentityLabels, tenantOf } from './profile-read.sql';
import { translateStoreError, withStoreErrors } from './store-errors';

export type { MembershipCondition, ProfileReadPlan } from './profile-read.sql';

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
  /**
   * The same rows, not made into objects (FragmentBatch): a reader is read through one of the
   * two, never both. Absent in readers built of objects (tests).
   */
  fragmentBatches?: AsyncIterable<FragmentBatch>;
  /** Events ordered by the same key, then id, in batches; undefined when the plan asked for none. */
  events?: AsyncIterable<EventOut[]>;
  /** Evaluated memberships ordered by the same key; undefined when the plan asked for none. */
  evaluated?: AsyncIterable<EvaluatedOut[]>;
  close(): Promise<void>;
}

async function* eventBatches(stream: Readable): AsyncGenerator<EventOut[]> {
  for await (const b of copyBinaryBatches(stream, 4)) {
    const out = new Array<EventOut>(b.rows);
    for (let r = 0; r < b.rows; r++) out[r] = new StoredEventRow(b.text(r, 0)!, b.timestampMs(r, 1)!, b.timestampMs(r, 2)!, b.bytes(r, 3)!);
    yield out;
  }
}

async function* evaluatedBatches(stream: Readable): AsyncGenerator<EvaluatedOut[]> {
  for await (const b of copyBinaryBatches(stream, 6)) {
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
}

/**
 * The export's bulk read path: COPY ... TO STDOUT streams, never a page through Prisma. Memory
 * is one chunk at a time. Under identity graph `pdg` the profile key is the connected component
 * of identities, computed first in scratch tables by label propagation. The SQL text is built
 * in profile-read.sql.ts; this class owns the connections, streams and scratch tables.
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
      const graph = plan.identityGraph === 'pdg' ? graphTables(randomBytes(6).toString('hex')) : undefined;
      const sql = profileReadSql(scope, plan, graph);
      // The graph of the fragments as of the snapshot: its components, and so the fragments read, are as of it.
      if (graph) await this.buildGraph(tenantOf(scope, 'f') + asOf(scope, plan.snapshot, 'f'), graph, readsIdentityLabels(plan), scratch);

      /** A COPY ... TO STDOUT on a client of its own, after `settings` (the client is destroyed at close). */
      const copyOut = async (text: string, settings: string) => {
        const client = await this.pool.connect();
        clients.push(client);
        let stream: Readable | undefined;
        // A checked-out client has no pool listener: its errors (connection cut) must fail the stream, not the process.
        client.on('error', (e) => stream?.destroy(e));
        await client.query(settings);
        stream = client.query(copyTo(`COPY (${text}) TO STDOUT (FORMAT binary)`));
        // Errors before the first read (or after an early stop) must not be thrown at the process.
        stream.on('error', () => undefined);
        streams.push(stream);
        return stream;
      };
      // JIT compiles the plan before the first row (a second here) to speed up per-row
      // expressions these reads barely have. work_mem: a segment filter sorts its members'
      // identities first (a few dozen MB for millions), kept in memory instead of spilled to disk.
      // No parallel plan: with that work_mem and a read as of a snapshot (whose filter the planner
      // overestimates) it chose a parallel scan, a sort and a Gather Merge over the ordered index
      // scan: 2.5 s instead of 1.35 s for 1M fragments here, its workers on the export worker's cores.
      const readSettings = 'SET jit = off; SET max_parallel_workers_per_gather = 0';
      // Both views are lazy: whichever the consumer iterates reads the one stream.
      const fragmentBatches = fragmentBatchesOf(await copyOut(sql.fragments, `${readSettings}; SET work_mem = '64MB'; ${sql.fragmentSettings}`));
      const fragments = fragmentObjectsOf(fragmentBatches);
      const events = sql.events ? eventBatches(await copyOut(sql.events, readSettings)) : undefined;
      const evaluated = sql.evaluated ? evaluatedBatches(await copyOut(sql.evaluated, readSettings)) : undefined;
      return { fragments, fragmentBatches, events, evaluated, close };
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
    return withStoreErrors(async () => {
      const r = await this.pool.query<{ found: boolean }>(hasEvaluatedSql(scope, segments));
      return r.rows[0]?.found === true;
    });
  }

  /**
   * Right after a bulk load the planner's statistics still describe the empty tables, and it
   * picks a nested loop that turns a segment export quadratic. Tables changed by more than a
   * tenth since their last ANALYZE are analysed first (a sample: seconds even for millions of rows).
   */
  private async refreshStatistics(): Promise<void> {
    await withStoreErrors(async () => {
      const stale = await this.pool.query<{ relname: string }>(
        `SELECT relname FROM pg_stat_user_tables
          WHERE relname IN ('profile_fragments', 'segment_memberships', 'experience_events')
            AND n_mod_since_analyze > 1000 AND n_mod_since_analyze > n_live_tup / 10`,
      );
      for (const { relname } of stale.rows) await this.pool.query(`ANALYZE ${relname}`);
    });
  }

  /**
   * Connected components of the identity graph (identityGraphSql): rounds repeat until no label
   * changes (the graph's diameter, small in practice). The tables join `scratch` (dropped at close)
   * before they exist.
   */
  private async buildGraph(tenantOfF: string, graph: GraphTables, withIdentityLabels: boolean, scratch: string[]): Promise<void> {
    scratch.push(...allGraphTables(graph));
    const sql = identityGraphSql(tenantOfF, graph);
    const c = await this.pool.connect();
    let failed: Error | undefined;
    try {
      // One transaction, for SET LOCAL: the connection goes back to the pool as it came.
      await c.query('BEGIN');
      await c.query('SET LOCAL jit = off');
      for (const statement of sql.setup) await c.query(statement);
      // Each round that changes anything lowers some label for good: this ends, after about the
      // graph's diameter in rounds (each of them over the changed fragments only).
      for (let round = 0; ; round++) {
        const [empty, lower] = sql.round(round);
        await c.query(empty);
        if (!(await c.query(lower)).rowCount) break;
      }
      if (withIdentityLabels) for (const statement of sql.identityLabels) await c.query(statement);
      await c.query('COMMIT');
      for (const statement of sql.finish) await c.query(statement);
    } catch (e) {
      failed = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      c.release(failed);
    }
  }
}
