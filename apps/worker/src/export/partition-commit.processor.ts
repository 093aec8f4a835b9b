import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '@sx/config';
import { ExportJob, ExportMetrics, TenantScope } from '@sx/domain';
import { BatchCommit, ExportJobRepository, ExportPartitionRepository, ExportRunRepository, PartitionState } from '@sx/persistence';
import { JobName, JobPayload } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { batchIdsOf } from './export-planner';
import { PartitionedRuns } from './partitioned-run';
import { commitStagedFiles } from './staged-batch-output';
import { buildManifest, manifestPlanOf, stageManifest } from './batch-manifest';
import { addCounts, emptyCounts } from './segment-counts';

type CommitJob = Job<JobPayload<JobName.CommitExportPartitions>>;

/**
 * The parent of a partitioned run's flow, started by BullMQ once every partition's job completed:
 * moves every partition's staged files to their final names (partition order, then file order),
 * then makes them visible, the batches successful and the job SUCCEEDED in one transaction,
 * fenced by the run's token as a whole job's commit is. Run again after a crash, renames already
 * done are taken as done.
 */
@Injectable()
export class PartitionCommitProcessor {
  private readonly logger = new Logger(PartitionCommitProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: ExportJobRepository,
    private readonly partitions: ExportPartitionRepository,
    private readonly runs: ExportRunRepository,
    private readonly storage: DatasetStorage,
    private readonly partitioned: PartitionedRuns,
    private readonly metrics: Metrics,
  ) {}

  readonly handle = (job: CommitJob) => this.run(job);

  async run(queueJob: CommitJob): Promise<Record<string, unknown>> {
    const { exportJobId: id, orgId, sandboxName, runToken } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    if (!(await this.partitions.renewRun(scope, id, runToken, this.config.WORKER_LOCK_MS))) return { skipped: 'the run is over' };
    const job = await this.jobs.findById(scope, id);
    if (!job) return { skipped: 'deleted' };
    const states = await this.partitions.list(scope, id, runToken);
    const missing = states.filter((s) => s.status !== 'done').map((s) => s.partition);
    // BullMQ starts the parent when its children completed; a child that found the run cancelled
    // completes too, and so does one of a flow rebuilt while an older attempt still ran. Not done
    // yet: retried with backoff (the partition's own job ends it or the run first).
    if (missing.length) throw new Error(`partitions not written yet: ${missing.join(', ')}`);
    const commits = await this.moveFiles(scope, job, states);
    const metrics = this.metricsOf(job, states);
    const outcome = await this.runs.succeed(scope, id, runToken, commits, metrics, job.destination);
    if (outcome === 'cancel-requested') {
      await this.partitioned.end(scope, job, runToken, 'CANCELLED');
      return { cancelled: true };
    }
    if (outcome === 'superseded') return { superseded: true };
    const ms = metrics.totalTime?.totalTimeInMs;
    this.metrics.jobEnded('export', 'SUCCEEDED', ms);
    if (ms !== undefined) this.metrics.exported(metrics.totalExportedProfileCounter ?? 0, ms);
    this.logger.log({ msg: 'export succeeded', exportJobId: id, partitions: states.length, profiles: metrics.totalExportedProfileCounter, ms: metrics.totalTime?.totalTimeInMs });
    return { profiles: metrics.totalExportedProfileCounter, partitions: states.length };
  }

  /**
   * Each batch's files, from every partition in key order, and its manifest (counted over the
   * partitions, as the job's metrics are) moved to their final keys.
   */
  private async moveFiles(scope: TenantScope, job: ExportJob, states: PartitionState[]): Promise<BatchCommit[]> {
    const commits: BatchCommit[] = [];
    const plan = manifestPlanOf(job);
    const bySegment = plan.segments?.length ? sumOf(states.map((s) => s.bySegment)) : undefined;
    for (const [i, batchId] of batchIdsOf(job.destination).entries()) {
      const outputs = states.map((s) => s.outputs?.[i]).filter((o) => o !== undefined);
      if (outputs.some((o) => o.batchId !== batchId)) throw new Error(`partition outputs do not match batch ${batchId}`);
      const prefix = batchPrefix({ ...scope, datasetId: job.destination.datasetId, batchId });
      const staged = outputs.flatMap((o) => o.files);
      const records = outputs.reduce((n, o) => n + o.records, 0);
      const manifest = buildManifest(job, plan, i, { batchId, records, byNamespace: sumOf(outputs.map((o) => o.byNamespace)), files: staged }, bySegment);
      const files = await commitStagedFiles(this.storage, prefix, [...staged, await stageManifest(this.storage, prefix, manifest)]);
      commits.push({ batchId, records, files });
    }
    return commits;
  }

  private metricsOf(job: ExportJob, states: PartitionState[]): ExportMetrics {
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const end = Date.now();
    const byNamespace: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const s of states) for (const [ns, n] of Object.entries(s.byNamespace ?? {})) byNamespace[ns] = (byNamespace[ns] ?? 0) + n;
    return {
      totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt },
      profileExportTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt },
      totalExportedProfileCounter: states.reduce((n, s) => n + s.profiles, 0),
      exportedProfileByNamespaceCounter: { ...byNamespace },
      ...(job.filter?.segments?.length ? { exportedProfileBySegmentCounter: { ...sumOf(states.map((s) => s.bySegment)) } } : {}),
      partitions: { done: states.length, total: states.length },
    };
  }
}

/** Per-key counts summed over the partitions. */
function sumOf(counts: ReadonlyArray<Record<string, number> | undefined>): Record<string, number> {
  return counts.reduce<Record<string, number>>((into, c) => addCounts(into, c), emptyCounts());
}
