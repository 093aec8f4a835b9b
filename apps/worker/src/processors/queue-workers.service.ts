import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, Worker, WorkerOptions } from 'bullmq';
import { AppConfig } from '@sx/config';
import { JobName, QueueName, redisOptionsFromUrl } from '@sx/queue';
import { JOB_HANDLERS, JobHandler, JobHandlerTable, NOT_BUILT, assertEveryJobHandled, consumableQueues } from './job-handlers';

/** A handler as BullMQ calls it: the job and the lock token (needed to postpone an active job). */
type TokenHandler = (job: never, token?: string) => Promise<unknown>;

/**
 * Per-queue worker options. Exports count their attempts in Postgres when claimed, a stalled
 * (killed) attempt included, and end FAILED after EXPORT_ATTEMPTS themselves. BullMQ's own stall
 * limit (default 1) would fail the job after the second kill, before that count, and leave its
 * batch behind: it is set out of reach. A job that kills its worker every time still ends, on the
 * claim after its last allowed attempt.
 */
const QUEUE_WORKER_OPTIONS: Partial<Record<QueueName, Partial<WorkerOptions>>> = {
  [QueueName.Export]: { maxStalledCount: Number.MAX_SAFE_INTEGER },
  // Segment jobs count their attempts in Postgres the same way.
  [QueueName.Segment]: { maxStalledCount: Number.MAX_SAFE_INTEGER },
};

/** Opens one BullMQ consumer per queue that has built handlers, and closes them on shutdown. */
@Injectable()
export class QueueWorkersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueWorkersService.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly config: AppConfig,
    @Inject(JOB_HANDLERS) private readonly handlers: JobHandlerTable,
  ) {}

  onApplicationBootstrap(): void {
    assertEveryJobHandled(this.handlers);
    for (const name of Object.values(JobName)) {
      if (this.handlers[name] === NOT_BUILT) {
        this.logger.warn({ msg: 'processor not built yet: jobs of this kind wait in the queue and stay NEW', job: name });
      }
    }
    for (const [queue, jobs] of consumableQueues(this.handlers)) this.workers.push(this.open(queue, jobs));
  }

  private open(queue: QueueName, jobs: JobName[]): Worker {
    const worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        const handler = this.handlers[job.name as JobName];
        if (!jobs.includes(job.name as JobName) || handler === NOT_BUILT) throw new Error(`No processor for job ${job.name}`);
        return (handler as JobHandler<JobName> as TokenHandler)(job as never, token);
      },
      {
        ...QUEUE_WORKER_OPTIONS[queue],
        prefix: this.config.QUEUE_PREFIX,
        concurrency: this.config.WORKER_CONCURRENCY,
        lockDuration: this.config.WORKER_LOCK_MS,
        stalledInterval: this.config.WORKER_STALLED_INTERVAL_MS,
        // Workers wait on blocking commands: never give up on a request while Redis reconnects.
        connection: { ...redisOptionsFromUrl(this.config.REDIS_URL), maxRetriesPerRequest: null },
      },
    );
    worker.on('error', (err) => this.logger.warn({ msg: 'worker connection error', queue, error: err.message }));
    this.logger.log({ msg: 'consuming', queue, jobs });
    return worker;
  }

  /**
   * SIGTERM: let running jobs finish (BullMQ's close waits for them), take no new ones. This runs
   * in the first shutdown phase, before database and Redis connections close (their providers
   * close in onApplicationShutdown), so a finishing export can still commit.
   */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
