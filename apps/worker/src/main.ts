import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger } from '@sx/observability';
import { WorkerModule } from './worker.module';

/** The worker is an application context, not an HTTP server: it only consumes queues. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new JsonLogger('worker', config.LOG_LEVEL);
  let app: INestApplicationContext | undefined;
  let stopping: Promise<void> | undefined;

  // SIGTERM/SIGINT: stop taking jobs, let running ones finish, close connections, exit 0. The
  // handlers go in before anything else, so a signal during start-up is handled too (a signal
  // with no handler would kill the process outright), and a second signal changes nothing.
  const stop = (signal: string) => {
    stopping ??= (async () => {
      logger.log({ msg: 'worker stopping', signal }, 'Main');
      try {
        await app?.close();
        logger.log({ msg: 'worker stopped' }, 'Main');
        process.exit(0);
      } catch (e) {
        logger.error({ msg: 'worker did not stop cleanly', error: (e as Error).message }, 'Main');
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger });
  if (stopping) return void (await app.close());
  logger.log({ msg: 'worker started', queuePrefix: config.QUEUE_PREFIX }, 'Main');
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
