import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@sx/config';
import { PersistenceModule } from '@sx/persistence';
import { JobName, QueueModule } from '@sx/queue';
import { StorageModule } from '@sx/storage';
import { CancelSignalsService } from './export/cancel-signals.service';
import { ExportJobProcessor } from './export/export-job.processor';
import { BatchPromotionProcessor } from './ingest/batch-promotion.processor';
import { JOB_HANDLERS, JobHandlerTable } from './processors/job-handlers';
import { QueueWorkersService } from './processors/queue-workers.service';
import { BatchPromotionReconcilerService } from './reconciler/batch-promotion-reconciler.service';
import { ExportReconcilerService } from './reconciler/export-reconciler.service';
import { SegmentReconcilerService } from './reconciler/segment-reconciler.service';
import { SegmentJobProcessor } from './segmentation/segment-job.processor';

/** The worker's module: the only one that registers processors. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule, QueueModule, StorageModule],
      providers: [
        CancelSignalsService,
        ExportJobProcessor,
        BatchPromotionProcessor,
        SegmentJobProcessor,
        {
          provide: JOB_HANDLERS,
          inject: [ExportJobProcessor, BatchPromotionProcessor, SegmentJobProcessor],
          useFactory: (exports: ExportJobProcessor, promotions: BatchPromotionProcessor, segments: SegmentJobProcessor): JobHandlerTable => ({
            [JobName.RunExport]: exports.handle,
            [JobName.PromoteBatch]: promotions.handle,
            [JobName.RunSegmentJob]: segments.handle,
          }),
        },
        QueueWorkersService,
        ExportReconcilerService,
        BatchPromotionReconcilerService,
        SegmentReconcilerService,
      ],
    };
  }
}
