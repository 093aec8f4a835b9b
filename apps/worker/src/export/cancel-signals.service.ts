import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@sx/config';
import { cancelChannel, redisOptionsFromUrl } from '@sx/queue';

/**
 * Cancel requests for running exports, as they arrive on Redis pub/sub from the API. A job that
 * runs here registers an AbortController; a message for it aborts it at once. (The flag in
 * Postgres is the truth; the processor also polls it, in case a message is missed.)
 */
@Injectable()
export class CancelSignalsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CancelSignalsService.name);
  private readonly running = new Map<number, AbortController>();
  private subscriber?: Redis;

  constructor(private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = new Redis({ ...redisOptionsFromUrl(this.config.REDIS_URL), maxRetriesPerRequest: null });
    this.subscriber.on('error', (err) => this.logger.warn({ msg: 'cancel subscriber error', error: err.message }));
    this.subscriber.on('message', (_channel, message: string) => {
      try {
        const { exportJobId } = JSON.parse(message) as { exportJobId: number };
        this.running.get(exportJobId)?.abort(new CancelRequested());
      } catch {
        // not ours
      }
    });
    await this.subscriber.subscribe(cancelChannel(this.config.QUEUE_PREFIX)).catch((e) =>
      this.logger.warn({ msg: 'could not subscribe to cancel signals; polling Postgres only', error: (e as Error).message }),
    );
  }

  watch(exportJobId: number): AbortController {
    const controller = new AbortController();
    this.running.set(exportJobId, controller);
    return controller;
  }

  unwatch(exportJobId: number): void {
    this.running.delete(exportJobId);
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
