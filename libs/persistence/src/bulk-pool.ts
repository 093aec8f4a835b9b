import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { AppConfig } from '@sx/config';

/**
 * A plain pg pool for bulk paths (COPY in, cursors out) that Prisma cannot stream. Only
 * repositories of this library use it.
 */
@Injectable()
export class BulkPool extends Pool implements OnModuleDestroy {
  constructor(config: AppConfig) {
    super({ connectionString: config.DATABASE_URL, max: 4 });
    // An idle client whose server went away must not crash the process; the next checkout reconnects.
    this.on('error', () => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.end();
  }
}
