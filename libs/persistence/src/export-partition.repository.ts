import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EVENT_SCHEMA_ID, ExportJob, TenantScope } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { toExportJob } from './export-job.mapper';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

/** One key range of a run: [keyFrom, keyTo) in byte order; an open end is unbounded. */
export interface PartitionRange {
  partition: number;
  keyFrom?: string;
  keyTo?: string;
}

/** A file a partition staged (under its own staging folder), to be renamed by the commit. */
export interface StagedFile {
  name: string;
  stagingKey: string;
  sizeBytes: number;
  sha256: string;
  /** Rows of a data file; none for a metadata file (`_manifest.json`). */
  records?: number;
}

/** What a partition staged for one output batch of the job. */
export interface PartitionOutput {
  batchId: string;
  records: number;
  files: StagedFile[];
  /** The rows of this output per primary namespace (for the batch's manifest). */
  byNamespace?: Record<string, number>;
}

export interface PartitionResult {
  profiles: number;
  byNamespace: Record<string, number>;
  /** With a segment filter: profiles per segment filter entry. */
  bySegment?: Record<string, number>;
  outputs: PartitionOutput[];
}

export interface PartitionState extends PartitionRange {
  status: 'pending' | 'running' | 'done' | 'failed';
  profiles: number;
  byNamespace?: Record<string, number>;
  bySegment?: Record<string, number>;
  outputs?: PartitionOutput[];
}

/**
 * What claim() found. `claimed`/`exhausted` as for jobs (exhausted: every allowed attempt of the
 * partition was claimed and none ended it; the caller fails the job). `busy`: another attempt
 * holds the partition. `done`: written already. `stopped`: the run is over (the job ended, was
 * deleted, or another run of it owns it now). `cancel-requested`: the caller ends the job CANCELLED.
 */
export type PartitionClaim =
  | { kind: 'claimed' | 'exhausted'; job: ExportJob; lease: string; attempt: number; range: PartitionRange }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'done' | 'stopped' | 'cancel-requested'; job?: ExportJob };

type Tx = Prisma.TransactionClient;

interface PartitionRow {
  partition: number;
  key_from: string | null;
  key_to: string | null;
  status: PartitionState['status'];
  attempts: number;
  lease_token: string | null;
  lease_left_ms: number;
  profiles: number;
  by_namespace: Record<string, number> | null;
  by_segment?: Record<string, number> | null;
  outputs: PartitionOutput[] | null;
}

const json = (v: unknown) => JSON.stringify(v);

/**
 * The partitions of a partitioned export run. A run belongs to the job's attempt token when it was
 * split (`runToken`): every write here is fenced by it (the job still PROCESSING under that token)
 * and, for a partition's attempt, by the partition's own lease. While partitions run they also
 * keep the job's lease alive, so the reconciler leaves the job alone; once nobody renews it (Redis
 * lost the flow, every worker died), the reconciler queues the job again and its claim rebuilds the
 * flow from these rows.
 */
@Injectable()
export class ExportPartitionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The keys that split the sandbox's profiles into `count` ranges of about equal size
   * (quantiles of the primary identities, in byte order, as the export reads them), distinct and
   * ascending: fewer than count - 1 when there are few keys. Also how many fragments there are.
   */
  async splitKeys(scope: TenantScope, count: number): Promise<{ fragments: number; keys: string[] }> {
    const fractions = Array.from({ length: Math.max(0, count - 1) }, (_, i) => (i + 1) / count);
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ fragments: bigint; keys: string[] | null }>>`
        SELECT count(*) AS fragments,
               CASE WHEN ${fractions.length}::int = 0 THEN NULL
                    ELSE percentile_disc(${fractions}::float8[]) WITHIN GROUP (ORDER BY primary_identity COLLATE "C") END AS keys
          FROM profile_fragments WHERE ${tenantSql(scope)}`;
      const keys = [...new Set((rows[0]?.keys ?? []).filter((k): k is string => typeof k === 'string'))].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return { fragments: Number(rows[0]?.fragments ?? 0), keys };
    });
  }

  /**
   * How many fragments the sandbox holds (the estimate of its profiles that decides an unasked
   * split), as far as deciding on partitions needs them: exact when there may be
   * more than `threshold`, else an upper bound no larger than it. The bound is the record count of
   * the committed ingest batches of datasets that are not event datasets (every fragment was
   * stored by one, and a reverted batch's fragments are deleted with it): a few rows of the
   * catalog, where counting the fragments themselves took ~0.1 s per 200,000 on every export
   * (0.3 s at 1M). Event batches are left out: with them a store of 1M profiles and 0.5M events
   * was counted on every export.
   */
  async fragmentCountAbove(scope: TenantScope, threshold: number): Promise<number> {
    return withStoreErrors(async () => {
      const { _sum } = await this.prisma.batch.aggregate({
        where: { ...tenantWhere(scope), status: 'success', origin: { not: 'export' }, dataset: { schemaId: { not: EVENT_SCHEMA_ID } } },
        _sum: { recordCount: true },
      });
      const bound = _sum.recordCount ?? 0;
      return bound <= threshold ? bound : this.prisma.profileFragment.count({ where: tenantWhere(scope) });
    });
  }

  /**
   * Records the run's partitions, if the job is still PROCESSING under `runToken` (idempotent: a
   * second call adds nothing). False: the attempt no longer holds the job.
   */
  async create(scope: TenantScope, jobId: number, runToken: string, ranges: PartitionRange[]): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockRun(tx, scope, jobId, runToken))) return false;
        await tx.exportPartition.createMany({
          data: ranges.map((r) => ({ exportJobId: jobId, runToken, partition: r.partition, keyFrom: r.keyFrom ?? null, keyTo: r.keyTo ?? null })),
          skipDuplicates: true,
        });
        return true;
      }),
    );
  }

  /** The run's partitions in order (empty when the job was not split under this token). */
  async list(scope: TenantScope, jobId: number, runToken: string): Promise<PartitionState[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<PartitionRow[]>`
        SELECT p.partition, p.key_from, p.key_to, p.status, p.attempts, p.lease_token::text AS lease_token, 0::float8 AS lease_left_ms,
               p.profiles, p.by_namespace, p.by_segment, p.outputs
          FROM export_partitions p JOIN export_jobs j ON j.id = p.export_job_id
         WHERE p.export_job_id = ${jobId} AND p.run_token = ${runToken}::uuid AND ${tenantSql(scope, 'j')}
         ORDER BY p.partition`;
      return rows.map(toState);
    });
  }

  /**
   * A partition's attempt takes its lease (counted when claimed, as for jobs; past maxAttempts the
   * lease is taken without counting, for the caller to fail the job), and the job's lease is
   * extended with it.
   */
  async claim(scope: TenantScope, jobId: number, runToken: string, partition: number, leaseMs: number, maxAttempts: number): Promise<PartitionClaim> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const run = await this.lockRun(tx, scope, jobId, runToken);
        if (!run) return { kind: 'stopped' as const };
        const job = toExportJob(run);
        if (run.cancelRequestedAt) return { kind: 'cancel-requested' as const, job };
        const rows = await tx.$queryRaw<PartitionRow[]>`
          SELECT partition, key_from, key_to, status, attempts, lease_token::text AS lease_token, profiles, by_namespace, outputs,
                 COALESCE(EXTRACT(EPOCH FROM lease_expires_at - now()) * 1000, 0)::float8 AS lease_left_ms
            FROM export_partitions WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid AND partition = ${partition} FOR UPDATE`;
        const row = rows[0];
        if (!row || row.status === 'failed') return { kind: 'stopped' as const, job };
        if (row.status === 'done') return { kind: 'done' as const, job };
        if (row.status === 'running' && row.lease_token && row.lease_left_ms > 0) return { kind: 'busy' as const, retryInMs: Math.ceil(row.lease_left_ms) };
        const lease = randomUUID();
        const exhausted = row.attempts >= maxAttempts;
        await tx.$executeRaw`
          UPDATE export_partitions SET status = 'running', lease_token = ${lease}::uuid, attempts = attempts + ${exhausted ? 0 : 1}::integer,
                 lease_expires_at = now() + ${leaseMs}::integer * interval '1 millisecond', profiles = 0, updated_at = now()
           WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid AND partition = ${partition}`;
        await this.extendJobLease(tx, jobId, runToken, leaseMs);
        const range = toState(row);
        return { kind: exhausted ? ('exhausted' as const) : ('claimed' as const), job, lease, attempt: exhausted ? row.attempts : row.attempts + 1, range };
      }),
    );
  }

  /** Extends the partition's lease and the job's. False: the partition is no longer this attempt's. */
  async renew(scope: TenantScope, jobId: number, runToken: string, partition: number, lease: string, leaseMs: number): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockRunRow(tx, scope, jobId, runToken))) return false;
        const count = await tx.$executeRaw`
          UPDATE export_partitions SET lease_expires_at = now() + ${leaseMs}::integer * interval '1 millisecond'
           WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid AND partition = ${partition} AND lease_token = ${lease}::uuid AND status = 'running'`;
        if (count === 1) await this.extendJobLease(tx, jobId, runToken, leaseMs);
        return count === 1;
      }),
    );
  }

  /** The commit keeps the job's lease alive while it renames files. False: the run is over. */
  async renewRun(scope: TenantScope, jobId: number, runToken: string, leaseMs: number): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => (await this.lockRun(tx, scope, jobId, runToken)) !== undefined && (await this.extendJobLease(tx, jobId, runToken, leaseMs))),
    );
  }

  /** Whether the run must stop: cancel requested, or the job no longer PROCESSING under this run. */
  async shouldStop(scope: TenantScope, jobId: number, runToken: string): Promise<boolean> {
    return withStoreErrors(async () => {
      const row = await this.prisma.exportJob.findFirst({
        where: { id: jobId, ...tenantWhere(scope), deletedAt: null },
        select: { status: true, attemptToken: true, cancelRequestedAt: true },
      });
      return !row || row.status !== 'PROCESSING' || row.attemptToken !== runToken || row.cancelRequestedAt !== null;
    });
  }

  /** A failed attempt that will be retried gives the partition's lease up. */
  async release(jobId: number, runToken: string, partition: number, lease: string): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.exportPartition.updateMany({
        where: { exportJobId: jobId, runToken, partition, leaseToken: lease, status: 'running' },
        data: { status: 'pending', leaseExpiresAt: null, updatedAt: new Date() },
      }),
    );
  }

  /** A partition that failed for good (the caller has ended the job FAILED). */
  async markFailed(jobId: number, runToken: string, partition: number): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.exportPartition.updateMany({ where: { exportJobId: jobId, runToken, partition }, data: { status: 'failed', leaseExpiresAt: null, updatedAt: new Date() } }),
    );
  }

  /**
   * Progress while a partition runs: its profiles so far, and the job's metrics summed over the
   * run's partitions (profiles written, partitions done of how many).
   */
  async progress(scope: TenantScope, jobId: number, runToken: string, partition: number, lease: string, profiles: number): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockRunRow(tx, scope, jobId, runToken))) return;
        const count = await tx.$executeRaw`
          UPDATE export_partitions SET profiles = ${profiles}::integer, updated_at = now()
           WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid AND partition = ${partition} AND lease_token = ${lease}::uuid AND status = 'running'`;
        if (count === 1) await this.sumIntoJob(tx, scope, jobId, runToken);
      }),
    );
  }

  /**
   * The partition is written: its staged files and counts are recorded, fenced by its lease and the
   * run. 'superseded': the attempt lost the partition or the run is over (it records nothing).
   */
  async finish(scope: TenantScope, jobId: number, runToken: string, partition: number, lease: string, result: PartitionResult): Promise<'done' | 'superseded'> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockRun(tx, scope, jobId, runToken))) return 'superseded' as const;
        const count = await tx.$executeRaw`
          UPDATE export_partitions
             SET status = 'done', profiles = ${result.profiles}::integer, by_namespace = ${json(result.byNamespace)}::jsonb,
                 by_segment = ${result.bySegment ? json(result.bySegment) : null}::jsonb,
                 outputs = ${json(result.outputs)}::jsonb, lease_expires_at = NULL, updated_at = now()
           WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid AND partition = ${partition} AND lease_token = ${lease}::uuid AND status = 'running'`;
        if (count !== 1) return 'superseded' as const;
        await this.sumIntoJob(tx, scope, jobId, runToken);
        return 'done' as const;
      }),
    );
  }

  /** The job's row, locked, if it is PROCESSING under this run. */
  private async lockRun(tx: Tx, scope: TenantScope, jobId: number, runToken: string) {
    if (!(await this.lockRunRow(tx, scope, jobId, runToken))) return undefined;
    return tx.exportJob.findUniqueOrThrow({ where: { id: jobId } });
  }

  /**
   * Locks the job's row if it is PROCESSING under this run. Every transaction here that writes
   * both rows locks the job's first and then a partition's: the lease renewal, progress and the
   * partition's finish of one attempt run side by side, and a different order deadlocks them.
   */
  private async lockRunRow(tx: Tx, scope: TenantScope, jobId: number, runToken: string): Promise<boolean> {
    const rows = await tx.$queryRaw<Array<{ id: number }>>`
      SELECT id FROM export_jobs
       WHERE id = ${jobId} AND ${tenantSql(scope)} AND deleted_at IS NULL
         AND status = 'PROCESSING' AND attempt_token = ${runToken}::uuid
         FOR UPDATE`;
    return rows.length > 0;
  }

  private async extendJobLease(tx: Tx, jobId: number, runToken: string, leaseMs: number): Promise<boolean> {
    const count = await tx.$executeRaw`
      UPDATE export_jobs SET lease_expires_at = GREATEST(lease_expires_at, now() + ${leaseMs}::integer * interval '1 millisecond')
       WHERE id = ${jobId} AND status = 'PROCESSING' AND attempt_token = ${runToken}::uuid`;
    return count === 1;
  }

  /** metrics.totalExportedProfileCounter and metrics.partitions from the run's partitions. */
  private async sumIntoJob(tx: Tx, scope: TenantScope, jobId: number, runToken: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE export_jobs j
         SET metrics = (COALESCE(j.metrics::jsonb, '{}'::jsonb) || jsonb_build_object(
               'totalExportedProfileCounter', s.profiles,
               'partitions', jsonb_build_object('done', s.done, 'total', s.total)))::json,
             update_time = now()
        FROM (SELECT COALESCE(sum(profiles), 0)::int AS profiles, count(*) FILTER (WHERE status = 'done')::int AS done, count(*)::int AS total
                FROM export_partitions WHERE export_job_id = ${jobId} AND run_token = ${runToken}::uuid) s
       WHERE j.id = ${jobId} AND ${tenantSql(scope, 'j')}
         AND j.status = 'PROCESSING' AND j.attempt_token = ${runToken}::uuid`;
  }
}

function toState(row: PartitionRow): PartitionState {
  return {
    partition: row.partition,
    keyFrom: row.key_from ?? undefined,
    keyTo: row.key_to ?? undefined,
    status: row.status,
    profiles: row.profiles,
    byNamespace: row.by_namespace ?? undefined,
    bySegment: row.by_segment ?? undefined,
    outputs: row.outputs ?? undefined,
  };
}
