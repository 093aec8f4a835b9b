import { Global, Module } from '@nestjs/common';
import { ApiClientRepository } from './api-client.repository';
import { ExportJobRepository } from './export-job.repository';
import { ExportQueueStateRepository } from './export-queue-state.repository';
import { PrismaService } from './prisma.service';

@Global()
@Module({
  providers: [PrismaService, ExportJobRepository, ExportQueueStateRepository, ApiClientRepository],
  exports: [ExportJobRepository, ExportQueueStateRepository, ApiClientRepository],
})
export class PersistenceModule {}
