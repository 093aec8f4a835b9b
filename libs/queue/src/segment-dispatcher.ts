import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { SegmentJobRepository } from '@sx/persistence';
import { JobQueueService } from './job-queue.service';
import { JobName, segmentQueueJobId } from './registry';
import { withTimeout } from './with-timeout';

interface Queueable {
  id: string;
  orgId: string;
  sandboxName: string;
  creationTime: Date;
}

/**
 * Moves segment jobs from Postgres (the record) into BullMQ, as ExportDispatcher does for exports:
 * the marker goes (and NEW becomes QUEUED) only after BullMQ holds the job.
 */
@Injectable()
export class SegmentDispatcher {
  private readonly logger = new Logger(SegmentDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
    private readonly jobs: SegmentJobRepository,
  ) {}

  async dispatch(job: Queueable): Promise<void> {
    const payload = { segmentJobId: job.id, orgId: job.orgId, sandboxName: job.sandboxName, createdAtMs: job.creationTime.getTime() };
    const queued = await this.queues.enqueue(JobName.RunSegmentJob, payload, segmentQueueJobId(job.id));
    if (queued.data.createdAtMs !== payload.createdAtMs || queued.data.orgId !== payload.orgId) {
      await this.queues.remove(JobName.RunSegmentJob, segmentQueueJobId(job.id));
      await this.queues.enqueue(JobName.RunSegmentJob, payload, segmentQueueJobId(job.id));
    }
    await this.jobs.markEnqueued(job.id);
  }

  async redispatch(job: Queueable): Promise<void> {
    await this.queues.remove(JobName.RunSegmentJob, segmentQueueJobId(job.id));
    await this.dispatch(job);
  }

  /** Right after commit: try for ENQUEUE_TIMEOUT_MS, then leave the job to the reconciler. */
  async dispatchSoon(job: Queueable): Promise<boolean> {
    try {
      await withTimeout(this.dispatch(job), this.config.ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (e) {
      this.logger.warn({ msg: 'enqueue after commit failed; the reconciler will enqueue the segment job', segmentJobId: job.id, error: (e as Error).message });
      return false;
    }
  }

  async queueState(jobId: string): Promise<string | undefined> {
    return this.queues.state(JobName.RunSegmentJob, segmentQueueJobId(jobId));
  }

  /** Best effort: a worker that still gets a cancelled job sees CANCELLED and skips it. */
  async withdraw(jobId: string): Promise<void> {
    await this.queues.remove(JobName.RunSegmentJob, segmentQueueJobId(jobId)).catch(() => false);
  }
}
