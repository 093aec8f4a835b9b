import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '@sx/config';

/**
 * A plain pg pool for bulk paths (COPY in, cursors out) that Prisma cannot stream. Only
 * repositories of this library use it.
 */
@Injectable()
export class BulkPool extends Pool implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({
      connectionString: config.DATABASE_URL,
      // Each running export holds up to two COPY streams; ingestion one connection per COMPLETE.
      max: Math.max(4, 2 * config.WORKER_CONCURRENCY + 2),
      connectionTimeoutMillis: 30_000,
      // The SQL literals of the bulk paths (copy-out.ts sqlString) rely on this being on.
      options: '-c standard_conforming_strings=on',
    });
    // An idle client whose server went away must not crash the process; the next checkout reconnects.
    this.on('error', () => undefined);
  }

  /** Last shutdown phase: consumers stopped in onModuleDestroy may still have needed us. */
  async onApplicationShutdown(): Promise<void> {
    await this.end();
  }
}
