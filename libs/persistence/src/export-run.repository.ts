import { randomUUID } from 'node:crypto';
import { queueWebhookEvent } from './webhook-outbox';
import { Injectable } from '@nestjs/common';
import { Batch, DryRunResult, ExportDestination, ExportJob, ExportJobError, ExportMetrics, TenantScope, exportEvent, newBatchId, newDatasetFileId } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { toBatch } from './batch.mapper';
import { toExportJob } from './export-job.mapper';
import { APPLY_DELTAS_SQL, DISCARD_RUN_SQL } from './membership-delta.repository';
import { PrismaService } from './prisma.service';
import { translateStoreError, withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

export interface CommittedFile {
  name: string;
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  /** Rows of a data file; none for a metadata file (`_manifest.json`). */
  records?: number;
}

export interface BatchCommit {
  batchId: string;
  records: number;
  files: CommittedFile[];
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

class AttemptSuperseded extends Error {}

/**
 * What claim() found. `claimed`: this attempt holds the lease (`lease` is its token, `attempt` its
 * number, from 1). `busy`: another attempt's lease is live; try again in `retryInMs`. `exhausted`:
 * every allowed attempt was claimed and none ended the job (their workers died); `lease` lets the
 * caller end it FAILED. `finished`: ended, deleted or unknown — nothing to do.
 */
export type ExportClaim =
  | { kind: 'claimed'; job: ExportJob; lease: string; attempt: number }
  | { kind: 'exhausted'; job: ExportJob; lease: string; attempt: number }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'finished' }
  | { kind: 'partitioned'; job: ExportJob; lease: string };

type Tx = Prisma.TransactionClient;

interface LockedJob {
  status: string;
  cancel_requested_at: Date | null;
  attempt_token: string | null;
  attempts: number;
  /** Milliseconds the lease still runs by the database's clock (<= 0: expired or none). */
  lease_left_ms: number;
  /** The current attempt split the job into partitions (export_partitions rows under its token). */
  partitioned: boolean;
  /** A dry run: it ends without batches and sends no webhook. */
  dry_run: boolean;
}

/**
 * The worker's side of an export job: claim it, start its output batches, report progress, and
 * end it — SUCCEEDED with its batches committed in the same transaction, or FAILED/CANCELLED with
 * its batches marked so. Every method takes the job's tenant.
 *
 * One attempt at a time: claim() takes a lease in Postgres (a new token, expiring leaseMs later by
 * the database's clock, so workers' clocks do not matter) that the attempt renews while it runs.
 * Everything an attempt writes afterwards is fenced by its token: an attempt that lost its lease
 * (superseded after its worker stalled, or the job ended by someone else) commits nothing.
 */
@Injectable()
export class ExportRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  private where(scope: TenantScope, id: number) {
    return { id, ...tenantWhere(scope), deletedAt: null };
  }

  /** The job's row, locked for this transaction; undefined when deleted or unknown. */
  private async lock(tx: Tx, scope: TenantScope, id: number): Promise<LockedJob | undefined> {
    const rows = await tx.$queryRaw<LockedJob[]>`
      SELECT status::text, cancel_requested_at, attempt_token::text AS attempt_token, attempts, dry_run,
             COALESCE(EXTRACT(EPOCH FROM lease_expires_at - now()) * 1000, 0)::float8 AS lease_left_ms,
             EXISTS (SELECT 1 FROM export_partitions p WHERE p.export_job_id = j.id AND p.run_token = j.attempt_token) AS partitioned
        FROM export_jobs j
       WHERE id = ${id} AND ${tenantSql(scope)} AND deleted_at IS NULL
         FOR UPDATE`;
    return rows[0];
  }

  /**
   * NEW, or PROCESSING whose lease expired or was released (the previous attempt died or failed),
   * becomes PROCESSING under a new lease, and the attempt is counted here, when it starts: an
   * attempt killed before it could record anything still counts. Past `maxAttempts` the lease is
   * taken without counting, for the caller to end the job FAILED. A job with
   * evaluationInfo.segmentation keeps the `nowMs` of its first claim as its run's one now.
   * A job the current attempt split into partitions is not claimed again: 'partitioned' hands its
   * run token back (with the job's lease extended), for the caller to make sure its flow exists.
   */
  async claim(scope: TenantScope, id: number, leaseMs: number, maxAttempts: number, nowMs: number = Date.now()): Promise<ExportClaim> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const row = await this.lock(tx, scope, id);
        if (!row || (row.status !== 'NEW' && row.status !== 'PROCESSING')) return { kind: 'finished' as const };
        if (row.status === 'PROCESSING' && row.attempt_token && row.partitioned) {
          await tx.$executeRaw`UPDATE export_jobs SET lease_expires_at = GREATEST(lease_expires_at, now() + ${leaseMs}::integer * interval '1 millisecond') WHERE id = ${id}`;
          return { kind: 'partitioned' as const, job: toExportJob(await tx.exportJob.findUniqueOrThrow({ where: { id } })), lease: row.attempt_token };
        }
        if (row.status === 'PROCESSING' && row.attempt_token && row.lease_left_ms > 0) return { kind: 'busy' as const, retryInMs: Math.ceil(row.lease_left_ms) };
        const lease = randomUUID();
        const exhausted = row.attempts >= maxAttempts;
        const startedAt = JSON.stringify({ totalTime: { startTimeInMs: Date.now() } });
        if (!exhausted) await this.fixChainBounds(tx, scope, id);
        await tx.$executeRaw`
          UPDATE export_jobs
             SET status = 'PROCESSING', attempt_token = ${lease}::uuid, attempts = attempts + ${exhausted ? 0 : 1}::integer,
                 lease_expires_at = now() + ${leaseMs}::integer * interval '1 millisecond', update_time = now(),
                 compute_gateway_job_id = CASE WHEN compute_gateway_job_id = '' THEN ${randomUUID()} ELSE compute_gateway_job_id END,
                 metrics = COALESCE(metrics, ${startedAt}::jsonb),
                 evaluation_now_ms = CASE WHEN (evaluation_info::jsonb ->> 'segmentation') = 'true' THEN COALESCE(evaluation_now_ms, ${nowMs}::bigint) END,
                 read_snapshot = COALESCE(read_snapshot, pg_current_snapshot()::text)
           WHERE id = ${id}`;
        const job = toExportJob(await tx.exportJob.findUniqueOrThrow({ where: { id } }));
        return { kind: exhausted ? ('exhausted' as const) : ('claimed' as const), job, lease, attempt: exhausted ? row.attempts : row.attempts + 1 };
      }),
    );
  }

  /**
   * A chain link's lower bound, fixed at its first claim (before the claim sets read_snapshot, its
   * upper bound; a retry keeps both): the snapshot of the chain's newest succeeded link. No other
   * link of the chain is unfinished (export_jobs_chain_unfinished_idx), so that one is the previous
   * link. A deleted link counts: its batch was committed all the same.
   */
  private async fixChainBounds(tx: Tx, scope: TenantScope, id: number): Promise<void> {
    await tx.$executeRaw`
      UPDATE export_jobs j
         SET (chain_previous_job_id, chain_after) = (
               SELECT p.id, p.read_snapshot FROM export_jobs p
                WHERE p.org_id = j.org_id AND p.sandbox_name = j.sandbox_name AND p.chain_id = j.chain_id
                  AND p.status = 'SUCCEEDED' AND NOT p.dry_run AND p.id <> j.id
                ORDER BY p.id DESC LIMIT 1)
       WHERE j.id = ${id} AND ${tenantSql(scope)} AND j.chain_id IS NOT NULL AND j.read_snapshot IS NULL`;
  }

  /** Extends the attempt's lease by leaseMs from now. False: the lease is no longer this attempt's. */
  async renew(scope: TenantScope, id: number, lease: string, leaseMs: number): Promise<boolean> {
    return withStoreErrors(async () => {
      // Fenced by the token, not by time: a lease that lapsed while nobody claimed it is still ours.
      const count = await this.prisma.$executeRaw`
        UPDATE export_jobs SET lease_expires_at = now() + ${leaseMs}::integer * interval '1 millisecond'
         WHERE id = ${id} AND ${tenantSql(scope)}
           AND deleted_at IS NULL AND status = 'PROCESSING' AND attempt_token = ${lease}::uuid`;
      return count === 1;
    });
  }

  /** A failed attempt that will be retried gives its lease up, so the retry need not wait for it to expire. */
  async release(scope: TenantScope, id: number, lease: string): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.exportJob.updateMany({ where: { ...this.where(scope, id), status: 'PROCESSING', attemptToken: lease }, data: { leaseExpiresAt: null } }),
    );
  }

  /** The job's batches still `loading`: left by attempts that died, or by the running one. */
  async loadingBatches(scope: TenantScope, jobId: number): Promise<Array<{ batchId: string; datasetId: string }>> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.batch.findMany({
        where: { ...tenantWhere(scope), exportJobId: jobId, origin: 'export', status: 'loading' },
        select: { id: true, datasetId: true },
      });
      return rows.map((r) => ({ batchId: r.id, datasetId: r.datasetId }));
    });
  }

  /**
   * Marks abandoned batches of the job `aborted` once their files are removed. `lease`: the
   * attempt holding it discards its predecessors' batches; null (the reconciler): only batches of a
   * job that has ended, whose attempts can no longer write. False when the condition did not hold.
   */
  async abortBatches(scope: TenantScope, jobId: number, lease: string | null, batchIds: string[]): Promise<boolean> {
    if (!batchIds.length) return true;
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const row = await this.lock(tx, scope, jobId);
        const allowed = lease === null ? !row || !['NEW', 'PROCESSING'].includes(row.status) : row?.status === 'PROCESSING' && row.attempt_token === lease;
        if (!allowed) return false;
        const now = new Date();
        await tx.batch.updateMany({
          where: { id: { in: batchIds }, ...tenantWhere(scope), exportJobId: jobId, origin: 'export', status: 'loading' },
          data: { status: 'aborted', updatedAt: now, completedAt: now },
        });
        return true;
      }),
    );
  }

  async cancelRequested(scope: TenantScope, id: number): Promise<boolean> {
    return withStoreErrors(async () => {
      const row = await this.prisma.exportJob.findFirst({ where: this.where(scope, id), select: { cancelRequestedAt: true, status: true } });
      return !row || row.cancelRequestedAt !== null || row.status === 'CANCELLED';
    });
  }

  /**
   * New output batches (loading) for this attempt, if it still holds the lease (else it is
   * superseded and gets none). The caller has discarded its predecessors' batches first.
   */
  async startBatches(scope: TenantScope, jobId: number, lease: string, datasetId: string, format: string, count: number): Promise<Batch[] | 'superseded'> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const row = await this.lock(tx, scope, jobId);
        if (row?.status !== 'PROCESSING' || row.attempt_token !== lease) return 'superseded' as const;
        const batches: Batch[] = [];
        for (let i = 0; i < count; i++) {
          const row = await tx.batch.create({
            data: { id: newBatchId(), ...tenantWhere(scope), datasetId, inputFormat: format, origin: 'export', exportJobId: jobId },
          });
          batches.push(toBatch(row));
        }
        return batches;
      }),
    );
  }

  /** Progress while running: metrics (profiles written so far) and the destination's batch ids. */
  async progress(scope: TenantScope, id: number, lease: string, metrics: ExportMetrics, destination?: ExportDestination): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.exportJob.updateMany({
        where: { ...this.where(scope, id), status: 'PROCESSING', attemptToken: lease },
        data: { metrics: json(metrics), updateTime: new Date(), ...(destination ? { destination: json(destination) } : {}) },
      }),
    );
  }

  /**
   * The atomic commit: the batches' files become visible, the batches succeed, the memberships
   * the attempt evaluated (`evaluationRunId`: staged under it and this lease) are applied and the
   * job is SUCCEEDED, in one transaction. If a cancel request arrived first, nothing is committed and
   * the answer is 'cancel-requested'; if the attempt lost its lease (or the job ended), 'superseded'.
   */
  async succeed(
    scope: TenantScope,
    id: number,
    lease: string,
    commits: BatchCommit[],
    metrics: ExportMetrics,
    destination: ExportDestination,
    evaluationRunId?: string,
  ): Promise<'succeeded' | 'cancel-requested' | 'superseded'> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const locked = await this.lock(tx, scope, id);
        if (locked?.status !== 'PROCESSING' || locked.attempt_token !== lease) return 'superseded';
        if (locked.cancel_requested_at) return 'cancel-requested';
        const now = new Date();
        for (const c of commits) {
          if (c.files.length) {
            await tx.batchFile.createMany({
              data: c.files.map((f) => ({
                id: newDatasetFileId(c.batchId),
                batchId: c.batchId,
                name: f.name,
                storageKey: f.storageKey,
                sizeBytes: BigInt(f.sizeBytes),
                sha256: f.sha256,
                records: f.records,
              })),
            });
          }
          const { count } = await tx.batch.updateMany({
            where: { id: c.batchId, status: 'loading', origin: 'export', exportJobId: id },
            data: { status: 'success', recordCount: c.records, updatedAt: now, completedAt: now },
          });
          // Another attempt took over (and aborted this one's batches): commit nothing.
          if (count !== 1) throw new AttemptSuperseded();
        }
        if (evaluationRunId !== undefined) {
          // The memberships this attempt evaluated (staged under its lease) become visible with its batches.
          await tx.$executeRawUnsafe(APPLY_DELTAS_SQL, evaluationRunId, lease, scope.orgId, scope.sandboxName);
          await tx.$executeRawUnsafe(DISCARD_RUN_SQL, evaluationRunId);
        }
        await tx.exportJob.update({
          where: { id },
          data: { status: 'SUCCEEDED', metrics: json(metrics), destination: json(destination), errors: Prisma.DbNull, updateTime: now, leaseExpiresAt: null },
        });
        await queueWebhookEvent(tx, scope, exportEvent('SUCCEEDED'), { id, status: 'SUCCEEDED', destination, metrics });
        return 'succeeded';
      });
    } catch (e) {
      if (e instanceof AttemptSuperseded) return 'superseded';
      return translateStoreError(e);
    }
  }

  /**
   * A dry run's end: SUCCEEDED with its result, in the attempt that holds it (no batch, no file,
   * no webhook). As succeed(): 'cancel-requested' when a cancel came first, 'superseded' when the
   * attempt lost its lease.
   */
  async finishDryRun(scope: TenantScope, id: number, lease: string, metrics: ExportMetrics, result: DryRunResult): Promise<'succeeded' | 'cancel-requested' | 'superseded'> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const locked = await this.lock(tx, scope, id);
        if (locked?.status !== 'PROCESSING' || locked.attempt_token !== lease || !locked.dry_run) return 'superseded' as const;
        if (locked.cancel_requested_at) return 'cancel-requested' as const;
        await tx.exportJob.update({
          where: { id },
          data: { status: 'SUCCEEDED', metrics: json(metrics), dryRunResult: json(result), errors: Prisma.DbNull, updateTime: new Date(), leaseExpiresAt: null },
        });
        return 'succeeded' as const;
      }),
    );
  }

  /**
   * Ends the job CANCELLED or FAILED; its batches end aborted or failed and show no files. `lease`:
   * only while the attempt holds it. Null (the reconciler): only when no attempt's lease is live.
   * False when the job was not ended here (superseded, live, or already ended).
   */
  async end(
    scope: TenantScope,
    id: number,
    lease: string | null,
    status: 'CANCELLED' | 'FAILED',
    batchIds: string[],
    metrics?: ExportMetrics,
    errors?: ExportJobError[],
  ): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const row = await this.lock(tx, scope, id);
        if (!row || (row.status !== 'NEW' && row.status !== 'PROCESSING')) return false;
        if (lease === null ? row.attempt_token !== null && row.lease_left_ms > 0 : row.attempt_token !== lease) return false;
        const now = new Date();
        if (batchIds.length) {
          await tx.batch.updateMany({
            where: { id: { in: batchIds }, status: 'loading' },
            data: { status: status === 'CANCELLED' ? 'aborted' : 'failed', updatedAt: now, completedAt: now },
          });
        }
        await tx.exportJob.update({
          where: { id },
          data: { status, updateTime: now, leaseExpiresAt: null, ...(metrics ? { metrics: json(metrics) } : {}), ...(errors ? { errors: json(errors) } : {}) },
        });
        if (!row.dry_run) await queueWebhookEvent(tx, scope, exportEvent(status), { id, status, ...(metrics ? { metrics } : {}), ...(errors ? { errors } : {}) });
        return true;
      }),
    );
  }
}
