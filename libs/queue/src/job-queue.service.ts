import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { AppConfig } from '@sx/config';
import { Job, Queue } from 'bullmq';
import { CancelPublisher } from './cancel-signals';
import { JOB_QUEUES, JobName, JobPayload, QueueName, jobOptions } from './registry';

/**
 * The producer side of the registry: typed enqueue, lookup and removal, plus the cancel signal.
 * The queues are @nestjs/bullmq's (QueueModule registers them); their connections fail fast when
 * Redis is down (see redisConnection), so callers never hang on Redis.
 */
@Injectable()
export class JobQueueService implements OnModuleInit {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly queues: ReadonlyMap<QueueName, Queue>;

  constructor(
    private readonly config: AppConfig,
    private readonly cancels: CancelPublisher,
    @InjectQueue(QueueName.Export) exportQueue: Queue,
    @InjectQueue(QueueName.Ingest) ingestQueue: Queue,
    @InjectQueue(QueueName.Preview) previewQueue: Queue,
    @InjectQueue(QueueName.Segment) segmentQueue: Queue,
    @InjectQueue(QueueName.ExportPartition) partitionQueue: Queue,
    @InjectQueue(QueueName.Webhook) webhookQueue: Queue,
    @InjectQueue(QueueName.Schedule) scheduleQueue: Queue,
  ) {
    this.queues = new Map([exportQueue, ingestQueue, previewQueue, segmentQueue, partitionQueue, webhookQueue, scheduleQueue].map((q) => [q.name as QueueName, q]));
  }

  onModuleInit(): void {
    for (const queue of this.queues.values()) {
      queue.on('error', (err) => this.logger.warn({ msg: 'queue connection error', queue: queue.name, error: err.message }));
    }
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  allQueues(): Queue[] {
    return [...this.queues.values()];
  }

  /** Adds a job under its stable id; adding an id the queue already holds does nothing. */
  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string): Promise<Job<JobPayload<N>>> {
    return this.queue(JOB_QUEUES[name]).add(name, payload, { ...jobOptions(name, this.config), jobId }) as Promise<Job<JobPayload<N>>>;
  }

  /** The BullMQ state of a job (waiting, active, delayed, completed, failed…), undefined if not held. */
  async state(name: JobName, jobId: string): Promise<string | undefined> {
    const job = await this.queue(JOB_QUEUES[name]).getJob(jobId);
    return job ? await job.getState() : undefined;
  }

  /** Whether the queue still holds the job in any state. */
  async holds(name: JobName, jobId: string): Promise<boolean> {
    return (await this.queue(JOB_QUEUES[name]).getJob(jobId)) !== undefined;
  }

  /** Removes a waiting job; a job a worker holds stays (the worker honours the cancel flag). */
  async remove(name: JobName, jobId: string): Promise<boolean> {
    return (await this.queue(JOB_QUEUES[name]).remove(jobId)) === 1;
  }

  async publishCancel(exportJobId: number): Promise<void> {
    await this.cancels.publish({ exportJobId });
  }
}
