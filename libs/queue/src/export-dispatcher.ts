import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { ExportQueueStateRepository, QueueableJob } from '@sx/persistence';
import { JobQueueService } from './job-queue.service';
import { JobName, exportQueueJobId } from './registry';
import { withTimeout } from './with-timeout';

/**
 * Moves export jobs from Postgres (the record) into BullMQ (the carrier). Postgres first, always:
 * a job's enqueue marker is only removed after BullMQ holds the job, so a crash or a Redis outage
 * in between leaves work for the reconciler, never a lost job.
 */
@Injectable()
export class ExportDispatcher {
  private readonly logger = new Logger(ExportDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
    private readonly state: ExportQueueStateRepository,
  ) {}

  /** Enqueue (a no-op if BullMQ already holds it) and drop the marker. Throws if Redis fails. */
  async dispatch(job: QueueableJob): Promise<void> {
    const payload = { exportJobId: job.id, orgId: job.orgId, sandboxName: job.sandboxName, createdAtMs: job.creationTime.getTime() };
    const queued = await this.queues.enqueue(JobName.RunExport, payload, exportQueueJobId(job.id));
    if (queued.data.createdAtMs !== payload.createdAtMs || queued.data.orgId !== payload.orgId) {
      // BullMQ kept a finished job of the same id from before a database reset: adding was a
      // no-op, so replace it, or this job would never run.
      this.logger.warn({ msg: 'replacing a stale queue job with the same id', exportJobId: job.id });
      await this.queues.remove(JobName.RunExport, exportQueueJobId(job.id));
      await this.queues.enqueue(JobName.RunExport, payload, exportQueueJobId(job.id));
    }
    await this.state.markEnqueued([job.id]);
  }

  /** Replaces whatever BullMQ holds under the job's id (a finished run Postgres does not agree with). */
  async redispatch(job: QueueableJob): Promise<void> {
    await this.queues.remove(JobName.RunExport, exportQueueJobId(job.id));
    await this.dispatch(job);
  }

  /** Right after commit: try for ENQUEUE_TIMEOUT_MS, then leave the job to the reconciler. */
  async dispatchSoon(job: QueueableJob): Promise<boolean> {
    try {
      await withTimeout(this.dispatch(job), this.config.ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (e) {
      this.logger.warn({ msg: 'enqueue after commit failed; the reconciler will enqueue the job', exportJobId: job.id, error: (e as Error).message });
      return false;
    }
  }

  /** The job's state in BullMQ; undefined when the queue lost it. */
  async queueState(jobId: number): Promise<string | undefined> {
    return this.queues.state(JobName.RunExport, exportQueueJobId(jobId));
  }

  /** Takes a cancelled job off the queue. Best effort: a worker that still gets it sees CANCELLED and skips it. */
  async withdraw(jobId: number): Promise<void> {
    try {
      await this.queues.remove(JobName.RunExport, exportQueueJobId(jobId));
    } catch (e) {
      this.logger.warn({ msg: 'could not remove cancelled job from the queue', exportJobId: jobId, error: (e as Error).message });
    }
  }

  /** Tells running workers at once. Best effort: the cancel request persisted in Postgres is the truth. */
  async signalCancel(jobId: number): Promise<void> {
    try {
      await this.queues.publishCancel(jobId);
    } catch (e) {
      this.logger.warn({ msg: 'could not publish cancel signal; workers will see the flag in Postgres', exportJobId: jobId, error: (e as Error).message });
    }
  }
}
