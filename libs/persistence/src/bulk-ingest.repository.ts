import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BatchError, DatasetKind, FailedRowsFile, TenantScope } from '@sx/domain';
import { BulkPool } from './bulk-pool';
import { STAGED, STAGED_MEMBERSHIPS, STORE, UPSERT_MEMBERSHIPS_SQL, stagedColumns } from './bulk-ingest.sql';
import { COPY_NULL, copyField, copyTextArray, membershipFields } from './copy-text';
import { translateStoreError, withStoreErrors } from './store-errors';

export interface FragmentRow {
  primaryIdentity: string;
  identities: string[];
  /** Undefined (stored NULL) when the record cannot be exported from its stored text (see ProfileFacts). */
  identitiesJson?: string;
  /** The record's JSON text as uploaded (validated; stored as json, as sent). */
  json: string;
  /** extSourceSystemAudit.lastUpdatedDate; the ingest time when absent. */
  lastUpdated?: Date;
  /** Byte offset of the record's top-level `"segmentMembership"` key in `json`'s UTF-8, -1 when none. */
  membershipAt: number;
  /** The record's segmentMembership entries (from the producer's parse), absent when none. */
  memberships?: ReadonlyArray<FragmentMembership>;
}

export interface FragmentMembership {
  namespace: string;
  segmentId: string;
  status: string;
  /** ISO 8601 text; absent: the ingest time. */
  lastQualificationTime?: string;
}

export interface EventRow {
  primaryIdentity: string;
  identities: string[];
  json: string;
  eventId: string;
  timestamp: Date;
}

export type RowOf<K extends DatasetKind> = K extends 'profile' ? FragmentRow : EventRow;

/** Where the producer of a batch's rows writes them; `write` resolves once there is room again. */
export interface RowSink<R> {
  write(row: R): void | Promise<void>;
}

/** What the producer found: rows written, and the records it refused. */
export interface ProducerReport {
  recordCount: number;
  failedRecordCount: number;
  /** The first refusals (a sample: at most 100), all counted in failedRecordCount. */
  errors: BatchError[];
  /**
   * The batch has a partial-ingestion threshold and its refused records stay within it: they were
   * skipped (not written) and the batch succeeds with them counted. Otherwise any refusal fails it.
   */
  withinThreshold?: boolean;
  /** With withinThreshold: the files of the refused rows (Data Access /failed). */
  failedFiles?: FailedRowsFile[];
}

export type PromoteOutcome =
  | { status: 'success'; recordCount: number; failedRecordCount: number; ingestTime: Date; phases: PromotionPhases }
  | { status: 'failed'; failedRecordCount: number; errors: BatchError[] }
  /** Another live promotion of the batch holds its lock (a worker still running it). */
  | { status: 'busy' }
  /** Not staging or processing (already ended, aborted, or unknown): nothing to do. */
  | { status: 'not-pending' };

/** Milliseconds spent in each step of a successful promotion (logged: where the time goes). */
export interface PromotionPhases {
  /** Reading, validating and COPYing the records into the scratch table. */
  copyMs: number;
  /** The sorted INSERT into the store, its indexes included. */
  storeMs: number;
  membershipsMs: number;
  commitMs: number;
  analyzeMs: number;
}

export interface PromoteOptions {
  /** Attempts allowed; the attempt that exceeds them fails the batch instead of running. */
  maxAttempts: number;
}

/**
 * Namespace of the session-level advisory lock a promotion holds on its batch: held for as long as
 * the attempt runs and dropped with its connection when the process dies, so "is a promotion of
 * this batch alive" has an exact answer (the reconciler reads it from pg_locks).
 */
export const PROMOTION_LOCK_NS = 0x5358;

const FLUSH_BYTES = 256 * 1024;
/** Batches at least this large are followed by ANALYZE. */
const ANALYZE_AFTER_RECORDS = 10_000;

/**
 * Promotes a completed batch (staging or processing) into the profile store in one transaction,
 * on a worker: COPY of every record, then the segment memberships they carry. Any refused record rolls the whole batch back (AEP's
 * default: a batch fails as a whole and nothing of it becomes visible), unless the producer reports
 * the refusals within the batch's partial-ingestion threshold: then the batch succeeds without them.
 */
@Injectable()
export class BulkIngestRepository {
  constructor(private readonly pool: BulkPool) {}

  async promote<K extends DatasetKind>(
    scope: TenantScope,
    batchId: string,
    kind: K,
    options: PromoteOptions,
    produce: (sink: RowSink<RowOf<K>>) => Promise<ProducerReport>,
  ): Promise<PromoteOutcome> {
    const client = await withStoreErrors(() => this.pool.connect());
    // Errors of a checked-out client (connection cut) fail the query in flight; without a
    // listener they would be thrown at the process.
    const onClientError = () => undefined;
    client.on('error', onClientError);
    // Any failure ends this connection instead of returning it to the pool: a COPY or transaction
    // left open on it could otherwise hold it (and the batch's lock) for ever.
    let broken: Error | undefined;
    let locked = false;
    try {
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [PROMOTION_LOCK_NS, batchId]);
      if (!lock.rows[0].ok) return { status: 'busy' };
      locked = true;
      // Committed before the work starts: GET shows `processing`, and a killed attempt is counted.
      const started = await client.query<{ promotion_attempts: number }>(
        `UPDATE batches SET status = 'processing', promotion_attempts = promotion_attempts + 1, updated_at = now()
          WHERE id = $1 AND org_id = $2 AND sandbox_name = $3 AND status IN ('staging', 'processing') RETURNING promotion_attempts`,
        [batchId, scope.orgId, scope.sandboxName],
      );
      if (!started.rowCount) return { status: 'not-pending' };
      const attempt = started.rows[0].promotion_attempts;
      if (attempt > options.maxAttempts) {
        const errors = [{ code: 'PROMOTION_FAILED', description: `the batch was not promoted in ${options.maxAttempts} attempts (each stopped before it ended)` }];
        await this.markFailed(client, scope, batchId, errors, 0);
        return { status: 'failed', failedRecordCount: 0, errors };
      }
      return await this.promoteInTransaction(client, scope, batchId, kind, produce);
    } catch (e) {
      broken = e instanceof Error ? e : new Error(String(e));
      return translateStoreError(e);
    } finally {
      if (locked && !broken) await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PROMOTION_LOCK_NS, batchId]).catch((e: Error) => (broken = e));
      client.off('error', onClientError);
      client.release(broken);
    }
  }

  private async promoteInTransaction<K extends DatasetKind>(
    client: PoolClient,
    scope: TenantScope,
    batchId: string,
    kind: K,
    produce: (sink: RowSink<RowOf<K>>) => Promise<ProducerReport>,
  ): Promise<PromoteOutcome> {
    await client.query('BEGIN');
    const batch = await client.query<{ status: string; dataset_id: string }>(
      'SELECT status, dataset_id FROM batches WHERE id = $1 AND org_id = $2 AND sandbox_name = $3 FOR UPDATE',
      [batchId, scope.orgId, scope.sandboxName],
    );
    if (batch.rows[0]?.status !== 'processing') {
      await client.query('ROLLBACK');
      return { status: 'not-pending' };
    }
    const datasetId = batch.rows[0].dataset_id;
    const ingestTime = new Date();
    const target = STORE[kind];
    // Rows land in a scratch table first and reach the store sorted by profile key: each batch
    // is then one run in key order on disk, and an export's ordered read walks the heap nearly
    // sequentially instead of jumping to a random page for every row (1.5x faster at 1M rows).
    await client.query(`SET LOCAL work_mem = '256MB'`);
    // Compiling these few large statements cost about a second each, for no faster run.
    await client.query('SET LOCAL jit = off');
    const extra = kind === 'profile' ? `, ${STAGED_MEMBERSHIPS.types}` : '';
    await client.query(`CREATE TEMP TABLE ${STAGED} (${stagedColumns(kind)}) ON COMMIT DROP AS SELECT ${target.columns}${extra} FROM ${target.table} WITH NO DATA`);
    let mark = Date.now();
    const lap = () => -mark + (mark = Date.now());
    const report = await this.copyRows(client, [scope.orgId, scope.sandboxName, datasetId, batchId], ingestTime, kind, produce);
    const copyMs = lap();

    if ((report.errors.length || report.failedRecordCount) && !report.withinThreshold) {
      await client.query('ROLLBACK');
      await this.markFailed(client, scope, batchId, report.errors, report.failedRecordCount);
      return { status: 'failed', failedRecordCount: report.failedRecordCount, errors: report.errors };
    }
    // ctid: rows of one profile keep the order they were sent in (the scratch table is only appended to).
    await client.query(`INSERT INTO ${target.table} (${target.columns}) SELECT ${target.columns} FROM ${STAGED} ORDER BY primary_identity COLLATE "C", ctid`);
    const storeMs = lap();
    if (kind === 'profile') await this.upsertMemberships(client, scope);
    const membershipsMs = lap();
    // A partially ingested batch keeps its refusals: counted, sampled in errors[], and their files for /failed.
    const partial = report.failedRecordCount > 0;
    await client.query(
      `UPDATE batches SET status = 'success', record_count = $2, failed_record_count = $3, errors = $4::jsonb, failed_files = $5::jsonb, commit_xid = pg_current_xact_id(),
              updated_at = now(), completed_at = now() WHERE id = $1`,
      [batchId, report.recordCount, report.failedRecordCount, partial ? JSON.stringify(report.errors) : null, partial ? JSON.stringify(report.failedFiles ?? []) : null],
    );
    await client.query('COMMIT');
    const commitMs = lap();
    // A large batch changes the tables' shape: refresh the planner's statistics now (a sample,
    // seconds at most), not at the first export that would otherwise plan on stale ones.
    if (report.recordCount >= ANALYZE_AFTER_RECORDS) {
      const tables = kind === 'profile' ? 'profile_fragments, segment_memberships' : 'experience_events';
      await client.query(`ANALYZE ${tables}`).catch(() => undefined);
    }
    const phases = { copyMs, storeMs, membershipsMs, commitMs, analyzeMs: lap() };
    return { status: 'success', recordCount: report.recordCount, failedRecordCount: report.failedRecordCount, ingestTime, phases };
  }

  /**
   * COPY of the producer's rows into the scratch table. If the producer throws, the COPY is
   * failed at once (CopyFail) so that the connection is never left waiting inside it.
   */
  private async copyRows<K extends DatasetKind>(
    client: PoolClient,
    batchFields: string[],
    ingestTime: Date,
    kind: K,
    produce: (sink: RowSink<RowOf<K>>) => Promise<ProducerReport>,
  ): Promise<ProducerReport> {
    const prefix = batchFields.map(copyField).join('\t');
    const ingest = ingestTime.toISOString();
    const copy = client.query(copyFrom(`COPY ${STAGED} (${stagedColumns(kind)}) FROM STDIN`));
    let copyError: Error | undefined;
    copy.on('error', (e: Error) => (copyError = e));
    let buffer = '';
    const flush = async () => {
      if (copyError) throw copyError;
      const ok = copy.write(buffer);
      buffer = '';
      if (!ok) await Promise.race([once(copy, 'drain'), once(copy, 'close')]);
    };
    const encode =
      kind === 'profile'
        ? (r: FragmentRow) =>
            `${prefix}\t${copyField(r.primaryIdentity)}\t${copyTextArray(r.identities)}\t${copyField(r.json)}\t${ingest}\t${r.lastUpdated ? r.lastUpdated.toISOString() : ingest}\t${r.identitiesJson === undefined ? COPY_NULL : copyField(r.identitiesJson)}\t${r.membershipAt}\t${membershipFields(r.memberships)}\n`
        : (r: EventRow) =>
            `${prefix}\t${copyField(r.primaryIdentity)}\t${copyTextArray(r.identities)}\t${copyField(r.json)}\t${ingest}\t${copyField(r.eventId) || COPY_NULL}\t${r.timestamp.toISOString()}\n`;
    const sink: RowSink<RowOf<K>> = {
      write(row) {
        buffer += (encode as (r: RowOf<K>) => string)(row);
        if (buffer.length >= FLUSH_BYTES) return flush();
      },
    };
    let report: ProducerReport;
    try {
      report = await produce(sink);
      if (buffer) await flush();
    } catch (e) {
      copy.destroy(e instanceof Error ? e : new Error(String(e)));
      await finished(copy).catch(() => undefined);
      throw e;
    }
    copy.end();
    await finished(copy);
    if (copyError) throw copyError;
    return report;
  }

  /**
   * Memberships of the batch's fragments, per (namespace, segment, primary identity); an entry
   * replaces the stored one only if it qualified later. A missing lastQualificationTime counts
   * as the ingest time.
   */
  private async upsertMemberships(client: PoolClient, scope: TenantScope): Promise<void> {
    // The DISTINCT ON sorts every membership of the batch (millions for a large one): work_mem is raised for the transaction.
    await client.query(UPSERT_MEMBERSHIPS_SQL, [scope.orgId, scope.sandboxName]);
  }

  private async markFailed(client: PoolClient, scope: TenantScope, batchId: string, errors: BatchError[], failed: number): Promise<void> {
    await client.query(
      `UPDATE batches SET status = 'failed', errors = $4::jsonb, failed_record_count = $5, updated_at = now(), completed_at = now()
        WHERE id = $1 AND org_id = $2 AND sandbox_name = $3 AND status = 'processing'`,
      [batchId, scope.orgId, scope.sandboxName, JSON.stringify(errors), failed],
    );
  }
}
