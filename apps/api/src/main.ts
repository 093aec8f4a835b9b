import 'reflect-metadata';
import { loadConfig } from '@sx/config';
import { JsonLogger, fatalStartError } from '@sx/observability';
import { createApiApp } from './configure-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new JsonLogger('api', config.LOG_LEVEL);
  if (!config.isProduction && (!config.JWT_SECRET || !config.ADMIN_PASSWORD)) {
    logger.warn('JWT_SECRET or ADMIN_PASSWORD not set: using insecure development defaults', 'Config');
  }
  let app: Awaited<ReturnType<typeof createApiApp>> | undefined;
  let stopping = false;
  // Installed first, so that a signal during start-up is handled too; a second one changes nothing.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'api stopping', signal }, 'Main');
    (app ? app.close() : Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  app = await createApiApp(config, logger);
  await app.listen(config.PORT);
  logger.log({ msg: 'api listening', port: config.PORT, basePath: config.BASE_PATH }, 'Main');
}

main().catch((e) => fatalStartError('api', e));
