import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sx/config';
import { JsonLogger, fatalStartError } from '@sx/observability';
import { WorkerModule } from './worker.module';

/**
 * The worker consumes queues; its HTTP listener (WORKER_HTTP_PORT) serves only its health and
 * metrics (see operations/), never the API's routes.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new JsonLogger('worker', config.LOG_LEVEL);
  let app: NestExpressApplication | undefined;
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

  app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(config), { logger });
  app.disable('x-powered-by');
  await app.listen(config.WORKER_HTTP_PORT);
  if (stopping) return void (await app.close());
  const address = app.getHttpServer().address() as { port: number } | null;
  logger.log({ msg: 'worker started', queuePrefix: config.QUEUE_PREFIX, httpPort: address?.port }, 'Main');
}

main().catch((e) => fatalStartError('worker', e));
