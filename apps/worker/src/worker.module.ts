import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@sx/config';
import { PersistenceModule } from '@sx/persistence';
import { JobName, QueueModule } from '@sx/queue';
import { JOB_HANDLERS, JobHandlerTable, NOT_BUILT } from './processors/job-handlers';
import { QueueWorkersService } from './processors/queue-workers.service';
import { ExportReconcilerService } from './reconciler/export-reconciler.service';

/** The worker's module: the only one that registers processors. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    const handlers: JobHandlerTable = {
      // The export pipeline is its own issue; until it lands, queued exports wait and stay NEW.
      [JobName.RunExport]: NOT_BUILT,
    };
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule, QueueModule],
      providers: [{ provide: JOB_HANDLERS, useValue: handlers }, QueueWorkersService, ExportReconcilerService],
    };
  }
}
