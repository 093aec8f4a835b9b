import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@sx/config';
import { PrismaClient } from './generated/prisma/client';

/** How long start-up waits for the warm-up query at most. */
const WARM_UP_MAX_MS = 2_000;

/** The one Prisma client of a process, on the pg driver adapter (no engine binary needed). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.DATABASE_URL, max: 10 }) });
  }

  /**
   * The first query of a process pays ~150 ms for Prisma's query compiler and the first
   * connection: paid here at start-up, not by the first job or request. Best effort and bounded:
   * with the database down the process still starts (and its work retries as always).
   */
  async onModuleInit(): Promise<void> {
    const warm = this.$queryRaw`SELECT 1`.then(
      () => undefined,
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([warm, new Promise((r) => (timer = setTimeout(r, WARM_UP_MAX_MS)))]);
    clearTimeout(timer);
  }

  /** Last shutdown phase: consumers stopped in onModuleDestroy may still have needed us. */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
