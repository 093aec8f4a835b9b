import { Global, Module } from '@nestjs/common';
import { ApiClientRepository } from './api-client.repository';
import { BatchRepository } from './batch.repository';
import { BatchPromotionRepository } from './batch-promotion.repository';
import { BatchRevertRepository } from './batch-revert.repository';
import { DatasetRecordsRepository } from './dataset-records.repository';
import { LargeFileRepository } from './large-file.repository';
import { BulkIngestRepository } from './bulk-ingest.repository';
import { BulkPool } from './bulk-pool';
import { DatasetRepository } from './dataset.repository';
import { ExportDiffRepository } from './export-diff.repository';
import { ExportPartitionRepository } from './export-partition.repository';
import { ExportRunRepository } from './export-run.repository';
import { ProfileReadRepository } from './profile-read.repository';
import { ExportJobRepository } from './export-job.repository';
import { ExportQueueStateRepository } from './export-queue-state.repository';
import { MembershipDeltaRepository } from './membership-delta.repository';
import { MergePolicyRepository } from './merge-policy.repository';
import { OperationsRepository } from './operations.repository';
import { WebhookRepository } from './webhook.repository';
import { PreviewRepository } from './preview.repository';
import { PrismaService } from './prisma.service';
import { SegmentDefinitionRepository } from './segment-definition.repository';
import { SegmentJobRepository } from './segment-job.repository';
import { SegmentRunRepository } from './segment-run.repository';
import { ScheduleRepository } from './schedule.repository';
import { ScheduleRunRepository } from './schedule-run.repository';

const repositories = [
  ExportJobRepository,
  ExportQueueStateRepository,
  ApiClientRepository,
  MergePolicyRepository,
  SegmentDefinitionRepository,
  DatasetRepository,
  BatchRepository,
  BatchPromotionRepository,
  BatchRevertRepository,
  LargeFileRepository,
  DatasetRecordsRepository,
  BulkIngestRepository,
  ExportRunRepository,
  ExportPartitionRepository,
  ExportDiffRepository,
  ProfileReadRepository,
  PreviewRepository,
  MembershipDeltaRepository,
  SegmentJobRepository,
  SegmentRunRepository,
  OperationsRepository,
  WebhookRepository,
  ScheduleRepository,
  ScheduleRunRepository,
];

@Global()
@Module({ providers: [PrismaService, BulkPool, ...repositories], exports: repositories })
export class PersistenceModule {}
