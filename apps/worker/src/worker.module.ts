import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@sx/config';
import { PersistenceModule } from '@sx/persistence';
import { JobName, QueueModule } from '@sx/queue';
import { StorageModule } from '@sx/storage';
import { CancelSignalsService } from './export/cancel-signals.service';
import { ExportJobProcessor } from './export/export-job.processor';
import { JOB_HANDLERS, JobHandlerTable } from './processors/job-handlers';
import { QueueWorkersService } from './processors/queue-workers.service';
import { ExportReconcilerService } from './reconciler/export-reconciler.service';

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
        {
          provide: JOB_HANDLERS,
          inject: [ExportJobProcessor],
          useFactory: (exports: ExportJobProcessor): JobHandlerTable => ({ [JobName.RunExport]: exports.handle }),
        },
        QueueWorkersService,
        ExportReconcilerService,
      ],
    };
  }
}
