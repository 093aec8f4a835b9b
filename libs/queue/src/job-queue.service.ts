import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_OPTIONS, JOB_QUEUES, JobName, JobPayload, QueueName, cancelChannel } from './registry';
import { redisOptionsFromUrl } from './redis-connection';

/**
 * The producer side of the registry: typed enqueue, lookup and removal, plus the cancel signal.
 * Its connections fail fast when Redis is down (no offline queue): callers never hang on Redis,
 * because Postgres already holds what must be enqueued and the reconciler retries.
 */
@Injectable()
export class JobQueueService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(JobQueueService.name);
  private readonly queues = new Map<QueueName, Queue>();
  private publisher?: Redis;

  constructor(private readonly config: AppConfig) {}

  /** Connect up front, so that the first request does not meet a connection still opening. */
  onModuleInit(): void {
    this.allQueues();
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        prefix: this.config.QUEUE_PREFIX,
        connection: { ...redisOptionsFromUrl(this.config.REDIS_URL), enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      });
      queue.on('error', (err) => this.logger.warn({ msg: 'queue connection error', queue: name, error: err.message }));
      this.queues.set(name, queue);
    }
    return queue;
  }

  allQueues(): Queue[] {
    return Object.values(QueueName).map((name) => this.queue(name));
  }

  /** Adds a job under its stable id; adding an id the queue already holds does nothing. */
  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string): Promise<Job<JobPayload<N>>> {
    return this.queue(JOB_QUEUES[name]).add(name, payload, { ...JOB_OPTIONS[name], ...this.retryOptions(name), jobId }) as Promise<Job<JobPayload<N>>>;
  }

  /**
   * Retry policy from configuration (the registry leaves it out). For exports the worker counts
   * attempts itself (stalls included) and ends the job after EXPORT_ATTEMPTS: BullMQ's count
   * never exceeds it, so giving BullMQ the same number means it always retries when the worker does.
   */
  private retryOptions(name: JobName) {
    const backoff = { type: 'exponential' as const, delay: this.config.EXPORT_BACKOFF_MS };
    if (name === JobName.RunExport) return { attempts: this.config.EXPORT_ATTEMPTS, backoff };
    if (name === JobName.RunSegmentJob) return { attempts: this.config.SEGMENT_JOB_ATTEMPTS, backoff };
    return {};
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
    if (!this.publisher) {
      // Opened on first use (workers never publish); the command may wait for the connection,
      // bounded by commandTimeout, so a dead Redis costs a cancel request at most that long.
      this.publisher = new Redis({
        ...redisOptionsFromUrl(this.config.REDIS_URL),
        maxRetriesPerRequest: 1,
        commandTimeout: this.config.ENQUEUE_TIMEOUT_MS,
      });
      this.publisher.on('error', (err) => this.logger.warn({ msg: 'publisher connection error', error: err.message }));
    }
    await this.publisher.publish(cancelChannel(this.config.QUEUE_PREFIX), JSON.stringify({ exportJobId }));
  }

  /** Last shutdown phase (see QueueWorkersService). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.publisher?.disconnect();
  }
}
