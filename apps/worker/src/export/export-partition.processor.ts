import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { ExportJob, TenantScope } from '@sx/domain';
import { ExportPartitionRepository, PartitionClaim, PartitionRange, ProfileReadRepository } from '@sx/persistence';
import { CancelRequested, CancelSubscriber, JobName, JobPayload } from '@sx/queue';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { AttemptLease } from '../common/attempt-lease';
import { AttemptSuperseded, ExportFailure, attemptsExhaustedError, jobError } from './export-failure';
import { readPlanOf } from './export-plan';
import { PipelineCounters, runExportPipeline } from './export-pipeline';
import { ExportPlanner, batchIdsOf } from './export-planner';
import { sinkInto, stagedOutputs } from './export-outputs';
import { PartitionedRuns } from './partitioned-run';
import { StagedBatchOutput, StagingLayout } from './staged-batch-output';

type WritePartitionJob = Job<JobPayload<JobName.WriteExportPartition>>;
type Claimed = Extract<PartitionClaim, { kind: 'claimed' | 'exhausted' }>;

const LEASE_MARGIN_MS = 250;

/** Where partition k stages its files, and their names (`part-03-00000.parquet`: key order sorts by name). */
export function partitionLayout(partition: number): StagingLayout {
  return { folder: `p${partition}`, namePrefix: `part-${String(partition).padStart(2, '0')}-` };
}

/**
 * Writes one key range of a partitioned export into staged files of the run's batches, and
 * records them in Postgres for the commit. Each partition is claimed, leased and retried on its
 * own (a killed worker costs its partition, not the job); one that fails for good, or is stopped
 * by a cancel, ends the whole job, and the other partitions stop within CANCEL_POLL_MS.
 */
@Injectable()
export class ExportPartitionProcessor {
  private readonly logger = new Logger(ExportPartitionProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly partitions: ExportPartitionRepository,
    private readonly planner: ExportPlanner,
    private readonly reads: ProfileReadRepository,
    private readonly storage: DatasetStorage,
    private readonly cancels: CancelSubscriber,
    private readonly runs: PartitionedRuns,
  ) {}

  readonly handle = (job: WritePartitionJob, token?: string) => this.run(job, token ?? job.token);

  async run(queueJob: WritePartitionJob, token?: string): Promise<Record<string, unknown>> {
    const { exportJobId: id, orgId, sandboxName, runToken, partition } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    const claim = await this.partitions.claim(scope, id, runToken, partition, this.config.WORKER_LOCK_MS, this.config.EXPORT_ATTEMPTS);
    switch (claim.kind) {
      case 'done':
        return { skipped: 'partition written already' };
      case 'stopped':
        return { skipped: 'the run is over' };
      case 'cancel-requested':
        await this.runs.end(scope, claim.job!, runToken, 'CANCELLED');
        return { cancelled: true };
      case 'busy':
        // As for whole jobs (ExportJobProcessor): another attempt still holds the partition.
        await queueJob.moveToDelayed(Date.now() + claim.retryInMs + LEASE_MARGIN_MS, token);
        throw new DelayedError();
      case 'exhausted':
        await this.runs.end(scope, claim.job, runToken, 'FAILED', [attemptsExhaustedError(claim.attempt)]);
        await this.partitions.markFailed(id, runToken, partition);
        throw new UnrecoverableError(`partition ${partition}: every attempt stopped without a result`);
      case 'claimed':
        return this.attempt(queueJob, scope, claim);
    }
  }

  private async attempt(queueJob: WritePartitionJob, scope: TenantScope, claim: Claimed): Promise<Record<string, unknown>> {
    const { exportJobId: id, runToken, partition, partitions: total } = queueJob.data;
    const { job, lease: token, attempt, range } = claim;
    this.logger.log({ msg: 'export partition started', exportJobId: id, partition, of: total, attempt });
    const controller = this.cancels.watch(id);
    const lease = new AttemptLease(
      { label: { exportJobId: id, partition }, renew: (ms) => this.partitions.renew(scope, id, runToken, partition, token, ms) },
      token,
      this.config.WORKER_LOCK_MS,
      () => controller.abort(new AttemptSuperseded()),
    ).start();
    // Cancelled, or ended by another partition's failure: stop, and let end() decide who ends it.
    const poll = setInterval(() => {
      this.partitions.shouldStop(scope, id, runToken).then(
        (yes) => yes && controller.abort(new CancelRequested()),
        () => undefined,
      );
    }, this.config.CANCEL_POLL_MS);
    const outputs: StagedBatchOutput[] = [];
    const counters: PipelineCounters = { profiles: 0, byNamespace: Object.create(null) as Record<string, number> };
    try {
      await this.write(queueJob, scope, job, token, range, controller.signal, counters, outputs);
      const result = {
        profiles: counters.profiles,
        byNamespace: { ...counters.byNamespace },
        ...(counters.bySegment ? { bySegment: { ...counters.bySegment } } : {}),
        outputs: outputs.map((o, i) => ({ batchId: batchIdsOf(job.destination)[i], records: o.records, files: [...o.stagedFiles], byNamespace: o.byNamespace })),
      };
      if ((await this.partitions.finish(scope, id, runToken, partition, token, result)) === 'superseded') throw new AttemptSuperseded();
      this.logger.log({ msg: 'export partition written', exportJobId: id, partition, profiles: counters.profiles });
      return { partition, profiles: counters.profiles };
    } catch (e) {
      await Promise.all(outputs.map((o) => o.abort().catch(() => undefined)));
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      if (reason instanceof AttemptSuperseded || e instanceof AttemptSuperseded) {
        this.logger.warn({ msg: 'export partition attempt superseded; it recorded nothing', exportJobId: id, partition, attempt });
        return { superseded: true };
      }
      if (reason instanceof CancelRequested) {
        await this.runs.end(scope, job, runToken, 'CANCELLED');
        return { cancelled: true };
      }
      const final = e instanceof ExportFailure || attempt >= this.config.EXPORT_ATTEMPTS;
      this.logger.warn({
        msg: final ? 'export partition failed' : 'export partition attempt failed; it will be retried',
        exportJobId: id,
        partition,
        attempt,
        error: (e as Error).message,
      });
      if (final) {
        await this.runs.end(scope, job, runToken, 'FAILED', [jobError(e, attempt)]);
        await this.partitions.markFailed(id, runToken, partition);
        throw new UnrecoverableError((e as Error).message);
      }
      await this.partitions.release(id, runToken, partition, token).catch(() => undefined);
      throw e;
    } finally {
      lease.stop();
      clearInterval(poll);
      this.cancels.unwatch(id, controller);
    }
  }

  /** Streams the range's profiles into staged files of `outputs` (filled here, for the caller to abort on failure). */
  private async write(
    queueJob: WritePartitionJob,
    scope: TenantScope,
    job: ExportJob,
    token: string,
    range: PartitionRange,
    signal: AbortSignal,
    counters: PipelineCounters,
    outputs: StagedBatchOutput[],
  ): Promise<void> {
    const { exportJobId: id, runToken, partition, partitions: total } = queueJob.data;
    const plan = await this.planner.plan(scope, job);
    // EXPORT_RATE_LIMIT is the job's: its partitions share it.
    if (plan.rateLimit) plan.rateLimit = Math.max(1, Math.floor(plan.rateLimit / total));
    const batchIds = batchIdsOf(job.destination);
    const layout = partitionLayout(partition);
    // What an earlier attempt of this partition staged is not this attempt's.
    for (const batchId of batchIds) await this.storage.removePrefix(`${batchPrefix({ ...scope, datasetId: plan.datasetId, batchId })}/_staging/${layout.folder}`);
    outputs.push(...stagedOutputs(this.storage, scope, plan, batchIds, this.config.EXPORT_FILE_ROWS, layout));
    const reader = await this.reads.open(scope, { ...readPlanOf(plan), keyRange: { from: range.keyFrom, to: range.keyTo } });
    const progress = setInterval(() => {
      this.partitions.progress(scope, id, runToken, partition, token, counters.profiles).catch(() => undefined);
      queueJob.updateProgress({ partition, of: total, profiles: counters.profiles }).catch(() => undefined);
    }, this.config.EXPORT_PROGRESS_INTERVAL_MS);
    try {
      await runExportPipeline(reader, plan, sinkInto(plan, outputs), signal, counters);
    } finally {
      clearInterval(progress);
      await reader.close();
    }
    if (signal.aborted) throw signal.reason;
    for (const o of outputs) await o.finish();
  }
}
