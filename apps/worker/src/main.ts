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
  logger.log({ msg: 'worker started', queuePrefix: config.QUEUE_PREFIX }, 'Main');
  // SIGTERM/SIGINT: stop taking jobs, let running ones finish, close connections, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log({ msg: 'worker stopping', signal }, 'Main');
      app.close().then(
        () => {
          logger.log({ msg: 'worker stopped' }, 'Main');
          process.exit(0);
        },
        (e) => {
          logger.error({ msg: 'worker did not stop cleanly', error: (e as Error).message }, 'Main');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
