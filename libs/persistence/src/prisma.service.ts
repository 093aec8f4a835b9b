import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@sx/config';
import { PrismaClient } from './generated/prisma/client';

/** The one Prisma client of a process, on the pg driver adapter (no engine binary needed). */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.DATABASE_URL, max: 10 }) });
  }

  /** Last shutdown phase: consumers stopped in onModuleDestroy may still have needed us. */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
