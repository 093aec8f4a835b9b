import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/** The real worker application context (queue consumers, reconciler), in this process. */
export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new JsonLogger('worker', 'silent') });
  await app.init();
  return app;
}

/** Runs `work` with a worker in this process (e.g. to promote the batches a `load` completes), then stops it. */
export async function withWorker<T>(config: AppConfig, work: () => Promise<T>): Promise<T> {
  const app = await startWorker(config);
  try {
    return await work();
  } finally {
    await app.close();
  }
}
