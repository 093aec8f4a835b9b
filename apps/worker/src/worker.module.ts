import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@sx/config';
import { OperabilityModule } from '@sx/observability';
import { PersistenceModule } from '@sx/persistence';
import { CancelSubscriber, JobName, PartitionFlowModule, QueueModule } from '@sx/queue';
import { StorageModule } from '@sx/storage';
import { DryRunExport } from './export/dry-run-export';
import { DiffBatchExport } from './export/diff-batch-export';
import { ExportJobProcessor } from './export/export-job.processor';
import { ExportPartitionProcessor } from './export/export-partition.processor';
import { ExportPlanner } from './export/export-planner';
import { PartitionCommitProcessor } from './export/partition-commit.processor';
import { PartitionedRuns } from './export/partitioned-run';
import { BatchPromotionProcessor } from './ingest/batch-promotion.processor';
import { WorkerOperationsController } from './operations/operations.controller';
import { PreviewEvaluation } from './preview/preview-evaluation';
import { PreviewProcessor } from './preview/preview.processor';
import { JobProcessorTable, builtProcessors, handlerTableProvider } from './processors/job-handlers';
import { queueConsumers } from './processors/queue-consumers';
import { BatchPromotionReconcilerService } from './reconciler/batch-promotion-reconciler.service';
import { ExportReconcilerService } from './reconciler/export-reconciler.service';
import { PreviewReconcilerService } from './reconciler/preview-reconciler.service';
import { SegmentReconcilerService } from './reconciler/segment-reconciler.service';
import { systemScheduleClock } from './schedules/schedule-clock';
import { ScheduleReconcilerService } from './schedules/schedule-reconciler.service';
import { ScheduleRunner } from './schedules/schedule-runner';
import { ScheduleTickProcessor } from './schedules/schedule-tick.processor';
import { SegmentJobProcessor } from './segmentation/segment-job.processor';
import { WebhookDeliveryProcessor } from './webhooks/webhook-delivery.processor';
import { WebhookReconcilerService } from './webhooks/webhook-reconciler.service';

/** Which provider handles each job of the registry; a missing entry does not compile. */
const JOB_PROCESSORS: JobProcessorTable = {
  [JobName.RunExport]: ExportJobProcessor,
  [JobName.PromoteBatch]: BatchPromotionProcessor,
  [JobName.RunSegmentJob]: SegmentJobProcessor,
  [JobName.RunPreview]: PreviewProcessor,
  [JobName.WriteExportPartition]: ExportPartitionProcessor,
  [JobName.CommitExportPartitions]: PartitionCommitProcessor,
  [JobName.DeliverWebhook]: WebhookDeliveryProcessor,
  [JobName.RunScheduleTick]: ScheduleTickProcessor,
};

/** The worker's module: the only one that registers processors (one @Processor per queue). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule, QueueModule, PartitionFlowModule, StorageModule, OperabilityModule.forRoot('worker')],
      // Served by main.ts's HTTP listener (WORKER_HTTP_PORT); an application context (tests) has no routes.
      controllers: [WorkerOperationsController],
      providers: [
        CancelSubscriber,
        ExportPlanner,
        DryRunExport,
        DiffBatchExport,
        PartitionedRuns,
        PreviewEvaluation,
        systemScheduleClock,
        ScheduleRunner,
        ...builtProcessors(JOB_PROCESSORS),
        handlerTableProvider(JOB_PROCESSORS),
        ...queueConsumers(config, JOB_PROCESSORS),
        ExportReconcilerService,
        BatchPromotionReconcilerService,
        SegmentReconcilerService,
        PreviewReconcilerService,
        WebhookReconcilerService,
        ScheduleReconcilerService,
      ],
    };
  }
}
