import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@sx/config';
import { redisConnection } from './redis-connection';
import { CancelMessage, cancelChannel } from './registry';

/**
 * The cancel protocol of running exports, both ends. The flag in Postgres is the truth; this
 * message only makes a worker stop at once instead of at its next poll of that flag.
 */
@Injectable()
export class CancelPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(CancelPublisher.name);
  private publisher?: Redis;

  constructor(private readonly config: AppConfig) {}

  async publish(message: CancelMessage): Promise<void> {
    // Opened on first use (workers never publish); the command may wait for the connection,
    // bounded by its timeout, so a dead Redis costs a cancel request at most that long.
    if (!this.publisher) {
      this.publisher = new Redis(redisConnection(this.config.REDIS_URL, 'publisher', this.config.ENQUEUE_TIMEOUT_MS));
      this.publisher.on('error', (err) => this.logger.warn({ msg: 'publisher connection error', error: err.message }));
    }
    await this.publisher.publish(cancelChannel(this.config.QUEUE_PREFIX), JSON.stringify(message));
  }

  onApplicationShutdown(): void {
    this.publisher?.disconnect();
  }
}

/** Parses a message of the cancel channel; undefined for anything else. */
export function parseCancelMessage(text: string): CancelMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<CancelMessage>;
    return Number.isSafeInteger(value?.exportJobId) ? { exportJobId: value.exportJobId! } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The worker's end: a running export registers an AbortController; a message for it aborts it
 * with CancelRequested. Provided by the worker app alone (the API never subscribes).
 */
@Injectable()
export class CancelSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CancelSubscriber.name);
  /** Every running attempt of each job in this process: partitions of one job may run side by side. */
  private readonly running = new Map<number, Set<AbortController>>();
  private subscriber?: Redis;

  constructor(private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = new Redis(redisConnection(this.config.REDIS_URL, 'subscriber'));
    this.subscriber.on('error', (err) => this.logger.warn({ msg: 'cancel subscriber error', error: err.message }));
    this.subscriber.on('message', (_channel, text: string) => {
      const message = parseCancelMessage(text);
      if (message) for (const c of this.running.get(message.exportJobId) ?? []) c.abort(new CancelRequested());
    });
    await this.subscriber
      .subscribe(cancelChannel(this.config.QUEUE_PREFIX))
      .catch((e) => this.logger.warn({ msg: 'could not subscribe to cancel signals; polling Postgres only', error: (e as Error).message }));
  }

  watch(exportJobId: number): AbortController {
    const controller = new AbortController();
    const watching = this.running.get(exportJobId) ?? new Set<AbortController>();
    this.running.set(exportJobId, watching.add(controller));
    return controller;
  }

  unwatch(exportJobId: number, controller: AbortController): void {
    const watching = this.running.get(exportJobId);
    watching?.delete(controller);
    if (!watching?.size) this.running.delete(exportJobId);
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }
}

/** The abort reason of a job stopped by its cancel request. */
export class CancelRequested extends Error {
  constructor() {
    super('cancel requested');
  }
}
