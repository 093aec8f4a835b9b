import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy, Type } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job, WorkerOptions } from 'bullmq';
import { AppConfig } from '@sx/config';
import { JobName, QueueName, redisConnection } from '@sx/queue';
import { AnyTable, JOB_HANDLERS, JobHandler, JobHandlerTable, NOT_BUILT, assertEveryJobHandled, consumableQueues } from './job-handlers';

/** A handler as BullMQ calls it: the job and the lock token (needed to postpone an active job). */
type TokenHandler = (job: never, token?: string) => Promise<unknown>;

/**
 * Per-queue worker options. Exports and segment jobs count their attempts in Postgres when
 * claimed, a stalled (killed) attempt included, and end FAILED after their configured attempts
 * themselves. BullMQ's own stall limit (default 1) would fail the job after the second kill, before
 * that count, and leave its batch behind: it is set out of reach. A job that kills its worker every
 * time still ends, on the claim after its last allowed attempt.
 */
const QUEUE_WORKER_OPTIONS: Partial<Record<QueueName, Partial<WorkerOptions>>> = {
  [QueueName.Export]: { maxStalledCount: Number.MAX_SAFE_INTEGER },
  [QueueName.Segment]: { maxStalledCount: Number.MAX_SAFE_INTEGER },
  [QueueName.ExportPartition]: { maxStalledCount: Number.MAX_SAFE_INTEGER },
};

/**
 * What every queue's processor does: hand the job to its entry of the handler table. One
 * `@Processor` subclass per queue is made by `queueConsumers`, because the worker options come
 * from the validated configuration, which a decorator written in a file cannot read.
 */
export abstract class QueueConsumer extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  protected abstract readonly queueName: QueueName;
  protected abstract readonly jobs: readonly JobName[];
  private readonly logger = new Logger('QueueConsumer');

  constructor(@Inject(JOB_HANDLERS) private readonly handlers: JobHandlerTable) {
    super();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    const name = job.name as JobName;
    const handler = this.handlers[name];
    if (!this.jobs.includes(name) || handler === NOT_BUILT) throw new Error(`No processor for job ${job.name}`);
    return (handler as JobHandler<JobName> as TokenHandler)(job as never, token);
  }

  onApplicationBootstrap(): void {
    this.logger.log({ msg: 'consuming', queue: this.queueName, jobs: this.jobs });
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.warn({ msg: 'worker connection error', queue: this.queueName, error: err.message });
  }

  /**
   * SIGTERM: let running jobs finish (BullMQ's close waits for them), take no new ones. This runs
   * in the first shutdown phase, before database connections close (onApplicationShutdown), so a
   * finishing export can still commit. @nestjs/bullmq closes the worker again later: a no-op.
   */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }
}

function workerOptions(config: AppConfig, queue: QueueName) {
  return {
    ...QUEUE_WORKER_OPTIONS[queue],
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    connection: redisConnection(config.REDIS_URL, 'worker'),
  };
}

/**
 * The processor classes of this worker: one per queue that has a built handler. Start-up fails
 * here when a job of the registry has no entry in the table; a job marked NOT_BUILT gets no
 * consumer, so its jobs wait (and stay NEW) instead of being taken and dropped.
 */
export function queueConsumers(config: AppConfig, table: AnyTable): Array<Type<QueueConsumer>> {
  assertEveryJobHandled(table);
  const logger = new Logger('QueueConsumer');
  for (const name of Object.values(JobName)) {
    if (table[name] === NOT_BUILT) logger.warn({ msg: 'processor not built yet: jobs of this kind wait in the queue and stay NEW', job: name });
  }
  return [...consumableQueues(table)].map(([queue, jobs]) => {
    @Processor(queue, workerOptions(config, queue))
    class Consumer extends QueueConsumer {
      protected readonly queueName = queue;
      protected readonly jobs = jobs;
    }
    Object.defineProperty(Consumer, 'name', { value: `${queue}-consumer` });
    return Consumer;
  });
}
