import { Global, Module } from '@nestjs/common';
import { ApiClientRepository } from './api-client.repository';
import { ExportJobRepository } from './export-job.repository';
import { ExportQueueStateRepository } from './export-queue-state.repository';
import { MergePolicyRepository } from './merge-policy.repository';
import { PrismaService } from './prisma.service';
import { SegmentDefinitionRepository } from './segment-definition.repository';

const repositories = [
  ExportJobRepository,
  ExportQueueStateRepository,
  ApiClientRepository,
  MergePolicyRepository,
  SegmentDefinitionRepository,
];

@Global()
@Module({ providers: [PrismaService, ...repositories], exports: repositories })
export class PersistenceModule {}
