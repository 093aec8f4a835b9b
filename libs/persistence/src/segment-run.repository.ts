import { randomUUID } from 'node:crypto';
import { queueWebhookEventOn } from './webhook-outbox';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { type ExportJobError, type SegmentJobMetrics, type TenantScope, segmentJobEvent } from '@sx/domain';
import { BulkPool, inPoolTransaction } from './bulk-pool';
import { MembershipDeltaRepository } from './membership-delta.repository';
import { PrismaService } from './prisma.service';
import { toSegmentJob } from './segment-job.repository';
import type { SegmentJob } from '@sx/domain';
import { withStoreErrors } from './store-errors';

/**
 * What claim() found (as ExportClaim). `claimed`: this attempt holds the lease. `cancel`: a cancel
 * request is pending and no attempt holds the job (its worker died): end it CANCELLED with `lease`.
 * `exhausted`: every allowed attempt was claimed and none ended the job: end it FAILED with `lease`.
 * `busy`: another attempt's lease is live. `finished`: ended or unknown.
 */
export type SegmentClaim =
  { kind: 'claimed' | 'exhausted' | 'cancel'; job: SegmentJob; lease: string; attempt: number } | { kind: 'busy'; retryInMs: number } | { kind: 'finished' };

interface LockedJob {
  status: string;
  cancel_requested_at: Date | null;
  attempt_token: string | null;
  attempts: number;
  lease_left_ms: number;
}

const RUNNING = ['PROCESSING', 'CANCELLING'];

/**
 * The worker's side of a segment job, with the export jobs' guarantees: claim under a lease in
 * Postgres (database clock), attempts counted when claimed, every later write fenced by the
 * attempt's token, and the run's `now` fixed at the first claim (a retry evaluates at the same
 * instant, so it gives the same result). Success applies the staged deltas and marks the job
 * SUCCEEDED in one transaction; a cancelled or failed job applies nothing.
 */
@Injectable()
export class SegmentRunRepository {
  constructor(
    private readonly pool: BulkPool,
    private readonly prisma: PrismaService,
    private readonly deltas: MembershipDeltaRepository,
  ) {}

  private async lock(c: PoolClient, scope: TenantScope, id: string): Promise<LockedJob | undefined> {
    const r = await c.query<LockedJob>(
      `SELECT status::text, cancel_requested_at, attempt_token::text AS attempt_token, attempts,
              COALESCE(EXTRACT(EPOCH FROM lease_expires_at - now()) * 1000, 0)::float8 AS lease_left_ms
         FROM segment_jobs WHERE id = $1::uuid AND org_id = $2 AND sandbox_name = $3 FOR UPDATE`,
      [id, scope.orgId, scope.sandboxName],
    );
    return r.rows[0];
  }

  private async load(id: string): Promise<SegmentJob> {
    return toSegmentJob(await this.prisma.segmentJob.findUniqueOrThrow({ where: { id } }));
  }

  /** `nowMs`: the run's `now` if this is its first claim (kept otherwise). */
  async claim(scope: TenantScope, id: string, leaseMs: number, maxAttempts: number, nowMs: number): Promise<SegmentClaim> {
    const out = await inPoolTransaction(
      this.pool,
      async (c): Promise<SegmentClaim | { kind: 'took'; claimKind: 'claimed' | 'exhausted' | 'cancel'; lease: string; attempt: number }> => {
        const row = await this.lock(c, scope, id);
        if (!row || !['NEW', 'QUEUED', ...RUNNING].includes(row.status)) return { kind: 'finished' };
        if (RUNNING.includes(row.status) && row.attempt_token && row.lease_left_ms > 0) return { kind: 'busy', retryInMs: Math.ceil(row.lease_left_ms) };
        const lease = randomUUID();
        const claimKind = row.status === 'CANCELLING' ? 'cancel' : row.attempts >= maxAttempts ? 'exhausted' : 'claimed';
        const counted = claimKind === 'claimed' ? 1 : 0;
        await c.query(
          `UPDATE segment_jobs
            SET status = CASE WHEN status = 'CANCELLING' THEN status ELSE 'PROCESSING' END,
                attempt_token = $2::uuid, attempts = attempts + $3::integer,
                lease_expires_at = now() + $4::integer * interval '1 millisecond', update_time = now(),
                now_ms = COALESCE(now_ms, $5::bigint),
                metrics = COALESCE(metrics, jsonb_build_object('totalTime', jsonb_build_object('startTimeInMs', $6::bigint), 'profileSegmentationTime', '{}'::jsonb))
          WHERE id = $1::uuid`,
          [id, lease, counted, leaseMs, nowMs, Date.now()],
        );
        return { kind: 'took', claimKind, lease, attempt: row.attempts + counted };
      },
    );
    if (out.kind !== 'took') return out;
    return { kind: out.claimKind, job: await this.load(id), lease: out.lease, attempt: out.attempt };
  }

  async renew(scope: TenantScope, id: string, lease: string, leaseMs: number): Promise<boolean> {
    return withStoreErrors(async () => {
      const r = await this.pool.query(
        `UPDATE segment_jobs SET lease_expires_at = now() + $5::integer * interval '1 millisecond'
          WHERE id = $1::uuid AND org_id = $2 AND sandbox_name = $3 AND status IN ('PROCESSING', 'CANCELLING') AND attempt_token = $4::uuid`,
        [id, scope.orgId, scope.sandboxName, lease, leaseMs],
      );
      return r.rowCount === 1;
    });
  }

  /** A failed attempt that will be retried gives its lease up. */
  async release(scope: TenantScope, id: string, lease: string): Promise<void> {
    await withStoreErrors(() =>
      this.pool.query(`UPDATE segment_jobs SET lease_expires_at = NULL WHERE id = $1::uuid AND org_id = $2 AND sandbox_name = $3 AND attempt_token = $4::uuid`, [
        id,
        scope.orgId,
        scope.sandboxName,
        lease,
      ]),
    );
  }

  async cancelRequested(scope: TenantScope, id: string): Promise<boolean> {
    return withStoreErrors(async () => {
      const r = await this.pool.query<{ status: string; cancel_requested_at: Date | null }>(
        `SELECT status::text, cancel_requested_at FROM segment_jobs WHERE id = $1::uuid AND org_id = $2 AND sandbox_name = $3`,
        [id, scope.orgId, scope.sandboxName],
      );
      const row = r.rows[0];
      return !row || row.cancel_requested_at !== null || row.status === 'CANCELLING' || row.status === 'CANCELLED';
    });
  }

  async progress(scope: TenantScope, id: string, lease: string, metrics: SegmentJobMetrics): Promise<void> {
    await withStoreErrors(() =>
      this.pool.query(
        `UPDATE segment_jobs SET metrics = $5::jsonb, update_time = now()
          WHERE id = $1::uuid AND org_id = $2 AND sandbox_name = $3 AND status = 'PROCESSING' AND attempt_token = $4::uuid`,
        [id, scope.orgId, scope.sandboxName, lease, JSON.stringify(metrics)],
      ),
    );
  }

  /**
   * The commit: this attempt's staged deltas applied to segment_memberships and the job SUCCEEDED,
   * in one transaction, only while the attempt holds the lease and no cancel is pending.
   */
  async succeed(scope: TenantScope, id: string, lease: string, metrics: SegmentJobMetrics): Promise<'succeeded' | 'cancel-requested' | 'superseded'> {
    return inPoolTransaction(this.pool, async (c) => {
      const row = await this.lock(c, scope, id);
      if (!row || !RUNNING.includes(row.status) || row.attempt_token !== lease) return 'superseded' as const;
      if (row.cancel_requested_at || row.status === 'CANCELLING') return 'cancel-requested' as const;
      await this.deltas.applyIn(c, id, lease, scope);
      await c.query(`UPDATE segment_jobs SET status = 'SUCCEEDED', metrics = $2::jsonb, errors = NULL, update_time = now(), lease_expires_at = NULL WHERE id = $1::uuid`, [
        id,
        JSON.stringify(metrics),
      ]);
      await queueWebhookEventOn(c, scope, segmentJobEvent('SUCCEEDED'), { id, status: 'SUCCEEDED', metrics });
      return 'succeeded' as const;
    });
  }

  /**
   * Ends the job CANCELLED or FAILED and drops whatever it staged. `lease`: only while the attempt
   * holds it; null (the reconciler): only when no attempt's lease is live. False: not ended here.
   */
  async end(scope: TenantScope, id: string, lease: string | null, status: 'CANCELLED' | 'FAILED', metrics?: SegmentJobMetrics, errors?: ExportJobError[]): Promise<boolean> {
    return inPoolTransaction(this.pool, async (c) => {
      const row = await this.lock(c, scope, id);
      if (!row || !['NEW', 'QUEUED', ...RUNNING].includes(row.status)) return false;
      if (lease === null ? row.attempt_token !== null && row.lease_left_ms > 0 : row.attempt_token !== lease) return false;
      await c.query('DELETE FROM membership_deltas WHERE run_id = $1', [id]);
      await c.query(
        `UPDATE segment_jobs SET status = $2::"SegmentJobStatus", update_time = now(), lease_expires_at = NULL,
                metrics = COALESCE($3::jsonb, metrics), errors = COALESCE($4::jsonb, errors) WHERE id = $1::uuid`,
        [id, status, metrics ? JSON.stringify(metrics) : null, errors ? JSON.stringify(errors) : null],
      );
      await queueWebhookEventOn(c, scope, segmentJobEvent(status), { id, status, ...(metrics ? { metrics } : {}), ...(errors ? { errors } : {}) });
      return true;
    });
  }
}
