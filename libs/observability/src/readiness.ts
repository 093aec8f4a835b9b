import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { OperationsRepository } from '@sx/persistence';
import { QueueName } from '@sx/queue';
import { DatasetStorage } from '@sx/storage';

/** How long each dependency may take to answer before it counts as down. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Liveness and readiness (@nestjs/terminus), the same in the API and the worker. Live: the
 * process answers (its event loop turns). Ready: Postgres answers a query, Redis a PING, and the
 * dataset storage is usable (the bucket is there, or the folder writable), each within 2 s.
 * Not ready answers 503 with which of them is down.
 */
@Injectable()
export class Readiness {
  private readonly logger = new Logger(Readiness.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly operations: OperationsRepository,
    private readonly storage: DatasetStorage,
    // Any registered queue: they share the process's producer connection to Redis.
    @InjectQueue(QueueName.Export) private readonly queue: Queue,
  ) {}

  live(): Promise<HealthReport> {
    return report(this.health.check([]));
  }

  ready(): Promise<HealthReport> {
    return report(
      this.health.check([
        () => this.check('database', () => this.operations.ping()),
        // A read of the queue's own meta hash: answered only by a Redis that is up and loaded.
        () => this.check('redis', async () => void (await (await this.queue.getBackend().client).hget(this.queue.toKey('meta'), 'version'))),
        () => this.check('storage', () => this.storage.probe()),
      ]),
    );
  }

  /**
   * One dependency's check, within CHECK_TIMEOUT_MS. What failed is logged whole; the answer,
   * which anyone who reaches the port can read, names only the dependency and the error's code.
   */
  private check(name: 'database' | 'redis' | 'storage', probe: () => Promise<void>) {
    return this.indicators
      .check(name)
      .attempt(async () => {
        try {
          await probe();
        } catch (e) {
          this.logger.warn({ msg: `readiness: ${name} is not usable`, error: (e as Error).message });
          const code = (e as { code?: unknown }).code;
          throw new Error(`${name} is not usable${typeof code === 'string' ? ` (${code})` : ''}`, { cause: e });
        }
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}

/** terminus's answer and its HTTP status: 503 with the indicators' details when one is down. */
export interface HealthReport {
  httpStatus: 200 | 503;
  body: HealthCheckResult | Record<string, unknown>;
}

async function report(check: Promise<HealthCheckResult>): Promise<HealthReport> {
  try {
    return { httpStatus: 200, body: await check };
  } catch (e) {
    if (e instanceof ServiceUnavailableException) return { httpStatus: 503, body: e.getResponse() as Record<string, unknown> };
    throw e;
  }
}
