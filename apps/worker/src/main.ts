import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { WorkerModule } from './worker.module';

/** The worker is an application context, not an HTTP server: it only consumes queues. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new JsonLogger('worker', config.LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger });
  app.enableShutdownHooks(); // SIGTERM/SIGINT: stop taking jobs, finish running ones, close connections
  logger.log({ msg: 'worker started', queuePrefix: config.QUEUE_PREFIX }, 'Main');
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
