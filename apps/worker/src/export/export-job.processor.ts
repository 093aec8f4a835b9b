import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { Batch, ExportJob, ExportMetrics, TenantScope } from '@sx/domain';
import {
  BatchCommit,
  ExportClaim,
  ExportPartitionRepository,
  ExportRunRepository,
  DeltaStager,
  MembershipDeltaRepository,
  PartitionRange,
  ProfileReadRepository,
} from '@sx/persistence';
import type { JobPayload, JobName } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { DatasetStorage } from '@sx/storage';
import { CancelRequested, CancelSubscriber } from '@sx/queue';
import { watchExportAttempt } from './attempt-watch';
import { AttemptSuperseded, ExportFailure, attemptsExhaustedError, jobError } from './export-failure';
import { ExportPlan, readPlanOf } from './export-plan';
import { PipelineCounters, runExportPipeline } from './export-pipeline';
import { runEvaluatingExport } from './evaluating-export';
import { ExportPlanner, destinationOf } from './export-planner';
import { sinkInto, stagedOutputs } from './export-outputs';
import { PartitionedRuns } from './partitioned-run';
import { StagedBatchOutput } from './staged-batch-output';
import { buildManifest } from './batch-manifest';
import { DryRunExport } from './dry-run-export';
import { DiffBatchExport } from './diff-batch-export';
import { discardAbandonedBatches } from './abandoned-batches';

type RunExportJob = Job<JobPayload<JobName.RunExport>>;
type Claimed = Extract<ExportClaim, { kind: 'claimed' | 'exhausted' }>;
/** Waiting on another attempt's lease: look again this long after it should have lapsed. */
const LEASE_MARGIN_MS = 250;

/**
 * Runs one export job: claim it, plan it, stream and write its profiles into staged files of new
 * batches, then commit files, batches and SUCCEEDED in one transaction. Cancel, failure and retry
 * leave no visible file: a retry starts over in fresh batches, so its output is the same as a
 * run that never failed.
 *
 * Attempts are counted in Postgres when claimed (a killed attempt counts; BullMQ's attemptsMade
 * does not see stalls), and one attempt at a time holds the job's lease (see ExportRunRepository).
 *
 * A job split into partitions (destination.partitions, or a sandbox over EXPORT_PARTITION_PROFILES)
 * is only started here: its batches and partitions are recorded and a BullMQ flow is queued, whose
 * children write the ranges (ExportPartitionProcessor) and whose parent commits them
 * (PartitionCommitProcessor). Claimed again later (the reconciler, after Redis lost the flow), the
 * job's flow is rebuilt from Postgres.
 */
@Injectable()
export class ExportJobProcessor {
  private readonly logger = new Logger(ExportJobProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runs: ExportRunRepository,
    private readonly planner: ExportPlanner,
    private readonly reads: ProfileReadRepository,
    private readonly storage: DatasetStorage,
    private readonly cancels: CancelSubscriber,
    private readonly deltas: MembershipDeltaRepository,
    private readonly partitions: ExportPartitionRepository,
    private readonly partitioned: PartitionedRuns,
    private readonly metrics: Metrics,
    private readonly dryRuns: DryRunExport,
    private readonly diffBatches: DiffBatchExport,
  ) {}

  readonly handle = (job: RunExportJob, token?: string) => this.run(job, token ?? job.token);

  async run(queueJob: RunExportJob, token?: string): Promise<Record<string, unknown>> {
    const { exportJobId: id, orgId, sandboxName } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    // The run's one now, should it evaluate: kept from the first claim on (memberships.md 4 and 7).
    const nowMs = this.config.SEGMENT_EVALUATION_NOW_MS ?? Date.now();
    const claim = await this.runs.claim(scope, id, this.config.WORKER_LOCK_MS, this.config.EXPORT_ATTEMPTS, nowMs);
    if (claim.kind === 'finished') return { skipped: 'finished, cancelled or deleted' };
    if (claim.kind === 'partitioned') return this.resumePartitioned(scope, claim.job, claim.lease);
    if (claim.kind === 'busy') {
      // BullMQ handed the job out while an attempt still holds it (a stall it misjudged, or a
      // re-queue after Redis lost the job). Completing here would lose the job should that attempt
      // die, so look again when its lease should have lapsed. moveToDelayed + DelayedError is
      // BullMQ's way to postpone an active job; it counts neither an attempt nor a failure.
      this.logger.log({ msg: 'export attempt still running elsewhere; looking again later', exportJobId: id, inMs: claim.retryInMs });
      await queueJob.moveToDelayed(Date.now() + claim.retryInMs + LEASE_MARGIN_MS, token);
      throw new DelayedError();
    }
    this.logger.log({ msg: 'export attempt started', exportJobId: id, attempt: claim.attempt, lease: claim.lease, exhausted: claim.kind === 'exhausted' || undefined });
    if (claim.kind === 'exhausted') return this.failExhausted(scope, claim);
    if (claim.job.dryRun) return this.dryRuns.attempt(scope, claim);
    if (claim.job.diffOf) return this.diffBatches.attempt(scope, claim);
    return this.attempt(queueJob, scope, claim);
  }

  /** A split job claimed again: ended if cancelled meanwhile, else its flow made sure of. */
  private async resumePartitioned(scope: TenantScope, job: ExportJob, runToken: string): Promise<Record<string, unknown>> {
    if (job.cancelRequestedAt) {
      await this.partitioned.end(scope, job, runToken, 'CANCELLED');
      return { cancelled: true };
    }
    return this.partitioned.ensureFlow(scope, job, runToken);
  }

  /**
   * Records the run's batches and partitions (fenced by the attempt's lease) and queues its flow.
   * From here the partitions keep the job's lease alive, and the job ends in the commit.
   */
  private async split(scope: TenantScope, job: ExportJob, token: string, plan: ExportPlan, ranges: PartitionRange[], metrics: ExportMetrics): Promise<Batch[]> {
    const started = await this.runs.startBatches(scope, job.id, token, plan.datasetId, plan.format, plan.segmentPerBatch ? plan.segments!.length : 1);
    if (started === 'superseded') throw new AttemptSuperseded();
    const destination = destinationOf(job, plan, started);
    metrics.partitions = { done: 0, total: ranges.length };
    await this.runs.progress(scope, job.id, token, metrics, destination);
    if (!(await this.partitions.create(scope, job.id, token, ranges))) throw new AttemptSuperseded();
    await this.partitioned.ensureFlow(scope, { ...job, destination, metrics }, token);
    this.logger.log({ msg: 'export split into partitions', exportJobId: job.id, partitions: ranges.length });
    return started;
  }

  /**
   * Every allowed attempt was claimed and none ended the job (their workers died): end it FAILED,
   * after discarding what the last one left.
   */
  private async failExhausted(scope: TenantScope, claim: Claimed): Promise<never> {
    const { job, lease, attempt } = claim;
    await discardAbandonedBatches(this.runs, this.storage, scope, job.id, lease);
    if (job.evaluationInfo?.segmentation) await this.deltas.discardRun(`export:${job.id}`);
    const error = attemptsExhaustedError(attempt);
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const end = Date.now();
    const ended = await this.runs.end(
      scope,
      job.id,
      lease,
      'FAILED',
      [],
      { totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt }, totalExportedProfileCounter: 0 },
      [error],
    );
    if (ended) this.metrics.jobEnded('export', 'FAILED', end - startedAt);
    this.logger.warn({ msg: 'export failed', exportJobId: job.id, attempt, error: error.msg });
    throw new UnrecoverableError(error.msg);
  }

  private async attempt(queueJob: RunExportJob, scope: TenantScope, claim: Claimed): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    const id = job.id;
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt } };
    const watch = watchExportAttempt({ runs: this.runs, cancels: this.cancels, config: this.config }, scope, id, token, { exportJobId: id });
    let outputs: StagedBatchOutput[] = [];
    let stager: DeltaStager | undefined;
    const evaluationRunId = job.evaluationInfo?.segmentation ? `export:${id}` : undefined;
    let batches: Batch[] = [];
    // No prototype: namespace codes such as "constructor" are plain keys here.
    const counters: PipelineCounters = { profiles: 0, byNamespace: Object.create(null) as Record<string, number> };
    try {
      await discardAbandonedBatches(this.runs, this.storage, scope, id, token);
      if (await this.runs.cancelRequested(scope, id)) throw new CancelRequested();
      const plan = await this.planner.plan(scope, job);
      const ranges = await this.partitioned.rangesOf(scope, job, plan);
      if (ranges.length > 1) {
        batches = await this.split(scope, job, token, plan, ranges, metrics);
        return { partitions: ranges.length };
      }

      const started = await this.runs.startBatches(scope, id, token, plan.datasetId, plan.format, plan.segmentPerBatch ? plan.segments!.length : 1);
      if (started === 'superseded') throw new AttemptSuperseded();
      batches = started;
      const destination = destinationOf(job, plan, batches);
      outputs = stagedOutputs(
        this.storage,
        scope,
        plan,
        batches.map((b) => b.id),
        this.config.EXPORT_FILE_ROWS,
      );
      await this.runs.progress(scope, id, token, metrics, destination);

      const exportStart = Date.now();
      if (evaluationRunId) {
        // Rows an earlier (killed) attempt staged are not this attempt's: they are never applied.
        await this.deltas.discardOtherAttempts(evaluationRunId, token);
        stager = await this.deltas.stage(evaluationRunId, token);
      }
      const reader = await this.reads.open(scope, readPlanOf(plan));
      const progress = setInterval(() => {
        metrics.totalExportedProfileCounter = counters.profiles;
        this.runs.progress(scope, id, token, metrics).catch(() => undefined);
        queueJob.updateProgress({ profiles: counters.profiles }).catch(() => undefined);
      }, this.config.EXPORT_PROGRESS_INTERVAL_MS);
      try {
        const sink = sinkInto(plan, outputs);
        if (stager) {
          const staging = stager;
          await runEvaluatingExport(reader, plan, sink, watch.signal, counters, (d) => staging.write(d));
        } else {
          await runExportPipeline(reader, plan, sink, watch.signal, counters);
        }
      } finally {
        clearInterval(progress);
        await reader.close();
      }
      if (watch.signal.aborted) throw watch.signal.reason;
      for (const o of outputs) await o.finish();
      if (stager) await stager.finish();

      const end = Date.now();
      metrics.profileExportTime = { startTimeInMs: exportStart, endTimeInMs: end, totalTimeInMs: end - exportStart };
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = counters.profiles;
      metrics.exportedProfileByNamespaceCounter = counters.byNamespace;
      if (plan.segments?.length) metrics.exportedProfileBySegmentCounter = { ...counters.bySegment };
      const commits: BatchCommit[] = [];
      for (let i = 0; i < outputs.length; i++) {
        const o = outputs[i];
        const manifest = buildManifest(job, plan, i, { batchId: batches[i].id, records: o.records, byNamespace: o.byNamespace, files: o.stagedFiles }, counters.bySegment);
        commits.push({ batchId: batches[i].id, records: o.records, files: await o.commit(manifest) });
      }
      const outcome = await this.runs.succeed(scope, id, token, commits, metrics, destination, evaluationRunId);
      if (outcome === 'cancel-requested') throw new CancelRequested();
      if (outcome === 'superseded') throw new AttemptSuperseded(); // deleted, ended or taken over meanwhile: commit nothing
      this.metrics.jobEnded('export', 'SUCCEEDED', end - startedAt);
      this.metrics.exported(counters.profiles, end - startedAt);
      this.logger.log({ msg: 'export succeeded', exportJobId: id, attempt, profiles: counters.profiles, ms: end - startedAt });
      return { profiles: counters.profiles };
    } catch (e) {
      await Promise.all(outputs.map((o) => o.abort().catch(() => undefined)));
      stager?.abort();
      const reason: unknown = watch.signal.aborted ? watch.signal.reason : e;
      if (reason instanceof AttemptSuperseded || e instanceof AttemptSuperseded) {
        // Whoever holds the job now owns its record: write nothing, and let BullMQ close this run.
        this.logger.warn({ msg: 'export attempt superseded; it committed nothing', exportJobId: id, attempt });
        return { superseded: true };
      }
      const end = Date.now();
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = 0;
      if (reason instanceof CancelRequested) {
        if (
          await this.runs.end(
            scope,
            id,
            token,
            'CANCELLED',
            batches.map((b) => b.id),
            metrics,
          )
        )
          this.metrics.jobEnded('export', 'CANCELLED', end - startedAt);
        if (evaluationRunId) await this.deltas.discardRun(evaluationRunId).catch(() => undefined);
        this.logger.log({ msg: 'export cancelled', exportJobId: id });
        return { cancelled: true };
      }
      const final = e instanceof ExportFailure || attempt >= this.config.EXPORT_ATTEMPTS;
      this.logger.warn({ msg: final ? 'export failed' : 'export attempt failed; it will be retried', exportJobId: id, attempt, error: (e as Error).message });
      if (final) {
        if (
          await this.runs.end(
            scope,
            id,
            token,
            'FAILED',
            batches.map((b) => b.id),
            metrics,
            [jobError(e, attempt)],
          )
        )
          this.metrics.jobEnded('export', 'FAILED', end - startedAt);
        if (evaluationRunId) await this.deltas.discardRun(evaluationRunId).catch(() => undefined);
        // Our count is the one that matters (BullMQ's may be lower: it misses stalls).
        throw new UnrecoverableError((e as Error).message);
      }
      // The retry (after BullMQ's backoff) claims at once instead of waiting for the lease to lapse.
      await this.runs.release(scope, id, token).catch(() => undefined);
      throw e;
    } finally {
      watch.stop();
    }
  }
}
