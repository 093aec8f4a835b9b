import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { ExportJob, ExportJobError, ExportMetrics, TenantScope } from '@sx/domain';
import { ExportPartitionRepository, ExportRunRepository, PartitionRange } from '@sx/persistence';
import { PartitionFlows } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { batchIdsOf } from './export-planner';
import type { ExportPlan } from './export-plan';
import { partitionsWanted, rangesBetween } from './partition-ranges';

/**
 * The parts of a partitioned run that its three kinds of job share: how many partitions a job
 * gets and their key ranges, making sure the run's flow is in Redis, and ending the run FAILED or
 * CANCELLED with no file left behind.
 */
@Injectable()
export class PartitionedRuns {
  private readonly logger = new Logger(PartitionedRuns.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runs: ExportRunRepository,
    private readonly partitions: ExportPartitionRepository,
    private readonly flows: PartitionFlows,
    private readonly storage: DatasetStorage,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The key ranges the job is split into; one range (no split) unless it asks for partitions or its
   * sandbox holds more than EXPORT_PARTITION_PROFILES profiles. An evaluating export is never split
   * (the API refuses partitions with it). Ranges come from quantiles of the keys: fewer than asked
   * when there are few distinct keys.
   */
  async rangesOf(scope: TenantScope, job: ExportJob, plan: ExportPlan): Promise<PartitionRange[]> {
    if (plan.evaluation) return rangesBetween([]);
    const per = this.config.EXPORT_PARTITION_PROFILES;
    const requested = job.destination.partitions;
    const profiles = requested === undefined && per > 0 ? await this.partitions.fragmentCountAbove(scope, per) : 0;
    const wanted = partitionsWanted(requested, profiles, per);
    return rangesBetween(wanted > 1 ? (await this.partitions.splitKeys(scope, wanted)).keys : []);
  }

  /**
   * Makes sure Redis carries the run's flow (its commit and the partitions not written yet).
   * Best effort: if Redis is down the job's lease lapses, and the reconciler queues the job again,
   * whose claim comes back here.
   */
  async ensureFlow(scope: TenantScope, job: ExportJob, runToken: string): Promise<{ partitions: number; pending: number }> {
    const states = await this.partitions.list(scope, job.id, runToken);
    const pending = states.filter((s) => s.status !== 'done').map((s) => s.partition);
    try {
      const added = await this.flows.ensure({ exportJobId: job.id, orgId: scope.orgId, sandboxName: scope.sandboxName, runToken, partitions: states.length }, pending);
      if (added) this.logger.log({ msg: 'export partition flow queued', exportJobId: job.id, partitions: states.length, pending: pending.length });
    } catch (e) {
      this.logger.warn({ msg: 'could not queue the partition flow; the reconciler will queue the job again', exportJobId: job.id, error: (e as Error).message });
    }
    return { partitions: states.length, pending: pending.length };
  }

  /**
   * Ends the run CANCELLED or FAILED (fenced by its token: only the first to end it does) and
   * removes every file its partitions staged. False when it was ended by someone else.
   */
  async end(scope: TenantScope, job: ExportJob, runToken: string, status: 'CANCELLED' | 'FAILED', errors?: ExportJobError[]): Promise<boolean> {
    const batchIds = batchIdsOf(job.destination);
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const end = Date.now();
    const metrics: ExportMetrics = { ...job.metrics, totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt }, totalExportedProfileCounter: 0 };
    const ended = await this.runs.end(scope, job.id, runToken, status, batchIds, metrics, errors);
    // Files after the mark: a partition still writing sees the job ended within CANCEL_POLL_MS and
    // removes its own staging folder; this takes whatever the others left.
    for (const batchId of batchIds) await this.storage.removePrefix(batchPrefix({ ...scope, datasetId: job.destination.datasetId, batchId }));
    if (ended) this.metrics.jobEnded('export', status, end - startedAt);
    if (ended) this.logger.log({ msg: status === 'CANCELLED' ? 'export cancelled' : 'export failed', exportJobId: job.id, partitioned: true, error: errors?.[0]?.msg });
    return ended;
  }
}
