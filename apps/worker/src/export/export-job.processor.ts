import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { Batch, ExportDestination, ExportJob, ExportMetrics, MergePolicy, TenantScope, resolveSchema } from '@sx/domain';
import {
  BatchCommit,
  DatasetRepository,
  ExportClaim,
  ExportRunRepository,
  DeltaStager,
  MembershipDeltaRepository,
  MergePolicyRepository,
  ProfileReadRepository,
  SegmentDefinitionRepository,
} from '@sx/persistence';
import type { JobPayload, JobName } from '@sx/queue';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { CancelRequested, CancelSubscriber } from '@sx/queue';
import { AttemptLease } from '../common/attempt-lease';
import { AttemptSuperseded, ERROR_CODES, ExportFailure, attemptsExhaustedError, jobError } from './export-failure';
import { ExportPlan, planExport, readPlanOf } from './export-plan';
import { PipelineCounters, RowSink, runExportPipeline } from './export-pipeline';
import { runEvaluatingExport } from './evaluating-export';
import { compileExportEvaluation } from './export-evaluation';
import { StagedBatchOutput } from './staged-batch-output';

type RunExportJob = Job<JobPayload<JobName.RunExport>>;
type Claimed = Extract<ExportClaim, { kind: 'claimed' | 'exhausted' }>;

/** Rows per Parquet row group (shared by all outputs of a job); row groups are buffered whole. */
const PARQUET_ROW_GROUP_ROWS = 5_000;
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
 */
@Injectable()
export class ExportJobProcessor {
  private readonly logger = new Logger(ExportJobProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runs: ExportRunRepository,
    private readonly policies: MergePolicyRepository,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly datasets: DatasetRepository,
    private readonly reads: ProfileReadRepository,
    private readonly storage: DatasetStorage,
    private readonly cancels: CancelSubscriber,
    private readonly deltas: MembershipDeltaRepository,
  ) {}

  readonly handle = (job: RunExportJob, token?: string) => this.run(job, token ?? job.token);

  async run(queueJob: RunExportJob, token?: string): Promise<Record<string, unknown>> {
    const { exportJobId: id, orgId, sandboxName } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    // The run's one now, should it evaluate: kept from the first claim on (memberships.md 4 and 7).
    const nowMs = this.config.SEGMENT_EVALUATION_NOW_MS ?? Date.now();
    const claim = await this.runs.claim(scope, id, this.config.WORKER_LOCK_MS, this.config.EXPORT_ATTEMPTS, nowMs);
    if (claim.kind === 'finished') return { skipped: 'finished, cancelled or deleted' };
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
    return this.attempt(queueJob, scope, claim);
  }

  /**
   * Every allowed attempt was claimed and none ended the job (their workers died): end it FAILED,
   * after discarding what the last one left.
   */
  private async failExhausted(scope: TenantScope, claim: Claimed): Promise<never> {
    const { job, lease, attempt } = claim;
    await this.discardAbandoned(scope, job.id, lease);
    if (job.evaluationInfo?.segmentation) await this.deltas.discardRun(`export:${job.id}`);
    const error = attemptsExhaustedError(attempt);
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const end = Date.now();
    await this.runs.end(
      scope,
      job.id,
      lease,
      'FAILED',
      [],
      { totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt }, totalExportedProfileCounter: 0 },
      [error],
    );
    this.logger.warn({ msg: 'export failed', exportJobId: job.id, attempt, error: error.msg });
    throw new UnrecoverableError(error.msg);
  }

  /**
   * Batches earlier attempts left `loading` (they died before ending): files first, then the
   * mark, so that a crash in between leaves a batch the next attempt or the reconciler discards
   * again, never an `aborted` batch with files.
   */
  private async discardAbandoned(scope: TenantScope, id: number, lease: string): Promise<void> {
    const stale = await this.runs.loadingBatches(scope, id);
    for (const b of stale) await this.storage.removePrefix(batchPrefix({ ...scope, ...b }));
    await this.runs.abortBatches(
      scope,
      id,
      lease,
      stale.map((b) => b.batchId),
    );
  }

  private async attempt(queueJob: RunExportJob, scope: TenantScope, claim: Claimed): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    const id = job.id;
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt } };
    const controller = this.cancels.watch(id);
    const lease = new AttemptLease({ label: { exportJobId: id }, renew: (ms) => this.runs.renew(scope, id, token, ms) }, token, this.config.WORKER_LOCK_MS, () =>
      controller.abort(new AttemptSuperseded()),
    ).start();
    const poll = setInterval(() => {
      this.runs.cancelRequested(scope, id).then(
        (yes) => yes && controller.abort(new CancelRequested()),
        () => undefined,
      );
    }, this.config.CANCEL_POLL_MS);
    let outputs: StagedBatchOutput[] = [];
    let stager: DeltaStager | undefined;
    const evaluationRunId = job.evaluationInfo?.segmentation ? `export:${id}` : undefined;
    let batches: Batch[] = [];
    // No prototype: namespace codes such as "constructor" are plain keys here.
    const counters: PipelineCounters = { profiles: 0, byNamespace: Object.create(null) as Record<string, number> };
    try {
      await this.discardAbandoned(scope, id, token);
      if (await this.runs.cancelRequested(scope, id)) throw new CancelRequested();
      const plan = planExport(job, await this.policyOf(scope, job), this.config.EXPORT_RATE_LIMIT);
      await this.checkDestination(scope, plan);
      await this.planMemberships(scope, job, plan);

      const started = await this.runs.startBatches(scope, id, token, plan.datasetId, plan.format, plan.segmentPerBatch ? plan.segments!.length : 1);
      if (started === 'superseded') throw new AttemptSuperseded();
      batches = started;
      const destination = this.destinationOf(job, plan, batches);
      // Parquet row groups are buffered whole: keep them small enough that the worker's memory is
      // flat, and let many outputs (segmentPerBatch) share that budget.
      const rowGroupRows = Math.max(1000, Math.floor(PARQUET_ROW_GROUP_ROWS / batches.length));
      outputs = batches.map(
        (b) => new StagedBatchOutput(this.storage, batchPrefix({ ...scope, datasetId: plan.datasetId, batchId: b.id }), plan.format, this.config.EXPORT_FILE_ROWS, rowGroupRows),
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
        const sink: RowSink = plan.segmentPerBatch
          ? async (row, segments) => {
              for (const i of segments) await outputs[i].write(row);
            }
          : (row) => outputs[0].write(row);
        if (stager) {
          const staging = stager;
          await runEvaluatingExport(reader, plan, sink, controller.signal, counters, (d) => staging.write(d));
        } else {
          await runExportPipeline(reader, plan, sink, controller.signal, counters);
        }
      } finally {
        clearInterval(progress);
        await reader.close();
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      for (const o of outputs) await o.finish();
      if (stager) await stager.finish();

      const end = Date.now();
      metrics.profileExportTime = { startTimeInMs: exportStart, endTimeInMs: end, totalTimeInMs: end - exportStart };
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = counters.profiles;
      metrics.exportedProfileByNamespaceCounter = counters.byNamespace;
      const commits: BatchCommit[] = [];
      for (let i = 0; i < outputs.length; i++) commits.push({ batchId: batches[i].id, records: outputs[i].records, files: await outputs[i].commit() });
      const outcome = await this.runs.succeed(scope, id, token, commits, metrics, destination, evaluationRunId);
      if (outcome === 'cancel-requested') throw new CancelRequested();
      if (outcome === 'superseded') throw new AttemptSuperseded(); // deleted, ended or taken over meanwhile: commit nothing
      this.logger.log({ msg: 'export succeeded', exportJobId: id, attempt, profiles: counters.profiles, ms: end - startedAt });
      return { profiles: counters.profiles };
    } catch (e) {
      await Promise.all(outputs.map((o) => o.abort().catch(() => undefined)));
      stager?.abort();
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      if (reason instanceof AttemptSuperseded || e instanceof AttemptSuperseded) {
        // Whoever holds the job now owns its record: write nothing, and let BullMQ close this run.
        this.logger.warn({ msg: 'export attempt superseded; it committed nothing', exportJobId: id, attempt });
        return { superseded: true };
      }
      const end = Date.now();
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = 0;
      if (reason instanceof CancelRequested) {
        await this.runs.end(
          scope,
          id,
          token,
          'CANCELLED',
          batches.map((b) => b.id),
          metrics,
        );
        if (evaluationRunId) await this.deltas.discardRun(evaluationRunId).catch(() => undefined);
        this.logger.log({ msg: 'export cancelled', exportJobId: id });
        return { cancelled: true };
      }
      const final = e instanceof ExportFailure || attempt >= this.config.EXPORT_ATTEMPTS;
      this.logger.warn({ msg: final ? 'export failed' : 'export attempt failed; it will be retried', exportJobId: id, attempt, error: (e as Error).message });
      if (final) {
        await this.runs.end(
          scope,
          id,
          token,
          'FAILED',
          batches.map((b) => b.id),
          metrics,
          [jobError(e, attempt)],
        );
        if (evaluationRunId) await this.deltas.discardRun(evaluationRunId).catch(() => undefined);
        // Our count is the one that matters (BullMQ's may be lower: it misses stalls).
        throw new UnrecoverableError((e as Error).message);
      }
      // The retry (after BullMQ's backoff) claims at once instead of waiting for the lease to lapse.
      await this.runs.release(scope, id, token).catch(() => undefined);
      throw e;
    } finally {
      lease.stop();
      clearInterval(poll);
      this.cancels.unwatch(id);
    }
  }

  /**
   * Which memberships the run overlays and evaluates (memberships.md 3): with
   * evaluationInfo.segmentation, the listed segments' definitions compiled with the run's now, and
   * the evaluated rows of those segments and of the ones they name; otherwise the exported
   * segments' evaluated rows, only if any exist (an EXISTS on a partial index: an export of a store
   * no segment job has touched reads nothing more).
   */
  private async planMemberships(scope: TenantScope, job: ExportJob, plan: ExportPlan): Promise<void> {
    if (job.evaluationInfo?.segmentation) {
      if (!plan.segments?.length) throw new ExportFailure(ERROR_CODES.input, 'evaluationInfo.segmentation needs filter.segments: the segments to evaluate.');
      if (job.evaluationNowMs === undefined) throw new Error('an evaluating export was claimed without its run time');
      const definitions = await this.definitions.findMany(scope, [...new Set(plan.segments.map((s) => s.segmentId))]);
      const compiled = compileExportEvaluation(plan.segments, definitions, { nowMs: job.evaluationNowMs, zone: this.config.SEGMENT_EVALUATION_ZONE });
      plan.evaluation = compiled.evaluation;
      plan.overlay = compiled.overlay;
      return;
    }
    if (plan.segments?.length && (await this.reads.hasEvaluated(scope, plan.segments))) {
      plan.overlay = plan.segments.map((s) => ({ segmentNs: s.segmentNs, segmentId: s.segmentId }));
    }
  }

  /** The job's merge policy; else its first segment's; else the sandbox default. */
  private async policyOf(scope: TenantScope, job: ExportJob): Promise<MergePolicy> {
    let id = job.mergePolicy?.id;
    if (!id && job.filter?.segments?.length) {
      const first = job.filter.segments[0];
      id = (await this.definitions.findById(scope, first.segmentId))?.mergePolicyId;
    }
    const policy = id ? await this.policies.resolve(scope, id) : await this.policies.defaultFor(scope);
    if (!policy) throw new ExportFailure(ERROR_CODES.input, `Merge policy "${id}" does not exist in this sandbox.`);
    return policy;
  }

  private async checkDestination(scope: TenantScope, plan: ExportPlan): Promise<void> {
    const dataset = await this.datasets.findById(scope, plan.datasetId);
    if (!dataset) throw new ExportFailure(ERROR_CODES.input, `Dataset ${plan.datasetId} does not exist in this sandbox.`);
    if (resolveSchema(dataset.schemaId)?.kind !== 'profile') {
      throw new ExportFailure(ERROR_CODES.input, `Dataset ${plan.datasetId} is not a profile dataset.`);
    }
  }

  private destinationOf(job: ExportJob, plan: ExportPlan, batches: Batch[]): ExportDestination {
    const destination: ExportDestination = { ...job.destination };
    if (plan.segmentPerBatch) {
      destination.batches = plan.segments!.map((s, i) => ({ segmentId: s.segmentId, segmentNs: s.segmentNs, status: s.status, batchId: batches[i].id }));
      delete destination.batchId;
    } else {
      destination.batchId = batches[0].id;
      delete destination.batches;
    }
    return destination;
  }
}
