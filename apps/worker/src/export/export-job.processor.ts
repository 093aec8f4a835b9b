import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { Batch, ExportDestination, ExportJob, ExportMetrics, MergePolicy, TenantScope, resolveSchema } from '@sx/domain';
import {
  BatchCommit,
  DatasetRepository,
  ExportRunRepository,
  MergePolicyRepository,
  ProfileReadRepository,
  SegmentDefinitionRepository,
} from '@sx/persistence';
import type { JobPayload, JobName } from '@sx/queue';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { CancelRequested, CancelSignalsService } from './cancel-signals.service';
import { ERROR_CODES, ExportFailure, jobError } from './export-failure';
import { ExportPlan, planExport, readPlanOf } from './export-plan';
import { PipelineCounters, runExportPipeline } from './export-pipeline';
import { StagedBatchOutput } from './staged-batch-output';

type RunExportJob = Job<JobPayload<JobName.RunExport>>;

/** Rows per Parquet row group (shared by all outputs of a job); row groups are buffered whole. */
const PARQUET_ROW_GROUP_ROWS = 5_000;

/**
 * Runs one export job: claim it, plan it, stream and write its profiles into staged files of new
 * batches, then commit files, batches and SUCCEEDED in one transaction. Cancel, failure and retry
 * leave no visible file: a retry starts over in fresh batches, so its output is the same as a
 * run that never failed.
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
    private readonly cancels: CancelSignalsService,
  ) {}

  readonly handle = (job: RunExportJob) => this.run(job);

  async run(queueJob: RunExportJob): Promise<Record<string, unknown>> {
    const { exportJobId: id, orgId, sandboxName } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    const job = await this.runs.claim(scope, id);
    if (!job) return { skipped: 'finished, cancelled or deleted' };

    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt } };
    const controller = this.cancels.watch(id);
    const poll = setInterval(() => {
      this.runs.cancelRequested(scope, id).then(
        (yes) => yes && controller.abort(new CancelRequested()),
        () => undefined,
      );
    }, this.config.CANCEL_POLL_MS);
    let outputs: StagedBatchOutput[] = [];
    let batches: Batch[] = [];
    // No prototype: namespace codes such as "constructor" are plain keys here.
    const counters: PipelineCounters = { profiles: 0, byNamespace: Object.create(null) as Record<string, number> };
    try {
      if (await this.runs.cancelRequested(scope, id)) throw new CancelRequested();
      const plan = planExport(job, await this.policyOf(scope, job), this.config.EXPORT_RATE_LIMIT);
      await this.checkDestination(scope, plan);

      const started = await this.runs.startBatches(scope, id, plan.datasetId, plan.format, plan.segmentPerBatch ? plan.segments!.length : 1);
      batches = started.batches;
      for (const old of started.abandoned) await this.storage.removePrefix(batchPrefix({ ...scope, ...old }));
      const destination = this.destinationOf(job, plan, batches);
      // Parquet row groups are buffered whole: keep them small enough that the worker's memory is
      // flat, and let many outputs (segmentPerBatch) share that budget.
      const rowGroupRows = Math.max(1000, Math.floor(PARQUET_ROW_GROUP_ROWS / batches.length));
      outputs = batches.map((b) => new StagedBatchOutput(this.storage, batchPrefix({ ...scope, datasetId: plan.datasetId, batchId: b.id }), plan.format, this.config.EXPORT_FILE_ROWS, rowGroupRows));
      await this.runs.progress(scope, id, metrics, destination);

      const exportStart = Date.now();
      const reader = await this.reads.open(scope, readPlanOf(plan));
      const progress = setInterval(() => {
        metrics.totalExportedProfileCounter = counters.profiles;
        this.runs.progress(scope, id, metrics).catch(() => undefined);
        queueJob.updateProgress({ profiles: counters.profiles }).catch(() => undefined);
      }, this.config.EXPORT_PROGRESS_INTERVAL_MS);
      try {
        await runExportPipeline(
          reader,
          plan,
          plan.segmentPerBatch
            ? async (row, segments) => {
                for (const i of segments) await outputs[i].write(row);
              }
            : (row) => outputs[0].write(row),
          controller.signal,
          counters,
        );
      } finally {
        clearInterval(progress);
        await reader.close();
      }
      if (controller.signal.aborted) throw controller.signal.reason;
      for (const o of outputs) await o.finish();

      const end = Date.now();
      metrics.profileExportTime = { startTimeInMs: exportStart, endTimeInMs: end, totalTimeInMs: end - exportStart };
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = counters.profiles;
      metrics.exportedProfileByNamespaceCounter = counters.byNamespace;
      const commits: BatchCommit[] = [];
      for (let i = 0; i < outputs.length; i++) commits.push({ batchId: batches[i].id, records: outputs[i].records, files: await outputs[i].commit() });
      const outcome = await this.runs.succeed(scope, id, commits, metrics, destination);
      if (outcome === 'cancel-requested') throw new CancelRequested();
      if (outcome === 'gone') throw new CancelRequested(); // deleted or ended meanwhile: commit nothing
      this.logger.log({ msg: 'export succeeded', exportJobId: id, profiles: counters.profiles, ms: end - startedAt });
      return { profiles: counters.profiles };
    } catch (e) {
      await Promise.all(outputs.map((o) => o.abort().catch(() => undefined)));
      const reason = controller.signal.aborted ? controller.signal.reason : e;
      const end = Date.now();
      metrics.totalTime = { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt };
      metrics.totalExportedProfileCounter = 0;
      if (reason instanceof CancelRequested) {
        await this.runs.end(scope, id, 'CANCELLED', batches.map((b) => b.id), metrics);
        this.logger.log({ msg: 'export cancelled', exportJobId: id });
        return { cancelled: true };
      }
      const attempts = queueJob.attemptsMade + 1;
      const final = e instanceof ExportFailure || attempts >= (queueJob.opts.attempts ?? 1);
      this.logger.warn({ msg: final ? 'export failed' : 'export attempt failed; it will be retried', exportJobId: id, attempt: attempts, error: (e as Error).message });
      if (final) {
        await this.runs.end(scope, id, 'FAILED', batches.map((b) => b.id), metrics, [jobError(e, attempts)]);
        throw e instanceof ExportFailure ? new UnrecoverableError(e.message) : e;
      }
      throw e;
    } finally {
      clearInterval(poll);
      this.cancels.unwatch(id);
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
