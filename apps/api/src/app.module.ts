import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE, RouterModule } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@sx/config';
import { PersistenceModule } from '@sx/persistence';
import { QueueModule } from '@sx/queue';
import { StorageModule } from '@sx/storage';
import { bullBoardModules } from './admin/bull-board';
import { AuthModule } from './auth/auth.module';
import { CatalogModule } from './catalog/catalog.module';
import { DATA_ACCESS_PATH, CATALOG_PATH, IMPORT_PATH } from './common/paths';
import { DataAccessModule } from './data-access/data-access.module';
import { IngestionModule } from './ingestion/ingestion.module';
import { ProblemFilter } from './common/problem.filter';
import { validationPipe } from './common/validation';
import { ExportJobsModule } from './export-jobs/export-jobs.module';
import { MergePoliciesModule } from './merge-policies/merge-policies.module';
import { OperationsModule } from './operations/operations.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { PreviewsModule } from './previews/previews.module';
import { SchedulesModule } from './schedules/schedules.module';
import { SegmentDefinitionsModule } from './segment-definitions/segment-definitions.module';
import { SegmentJobsModule } from './segment-jobs/segment-jobs.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        PersistenceModule,
        QueueModule,
        StorageModule,
        AuthModule,
        ExportJobsModule,
        MergePoliciesModule,
        SegmentDefinitionsModule,
        PreviewsModule,
        SegmentJobsModule,
        CatalogModule,
        IngestionModule,
        DataAccessModule,
        OperationsModule,
        WebhooksModule,
        SchedulesModule,
        ...bullBoardModules(),
        // AEP paths live under a configurable base path (default /data/core/ups).
        RouterModule.register([
          { path: config.BASE_PATH, module: ExportJobsModule },
          { path: config.BASE_PATH, module: MergePoliciesModule },
          { path: config.BASE_PATH, module: SegmentDefinitionsModule },
          { path: config.BASE_PATH, module: PreviewsModule },
          { path: config.BASE_PATH, module: SegmentJobsModule },
          { path: config.BASE_PATH, module: WebhooksModule },
          { path: config.BASE_PATH, module: SchedulesModule },
          // The Platform's foundation APIs keep AEP's own paths.
          { path: CATALOG_PATH, module: CatalogModule },
          { path: IMPORT_PATH, module: IngestionModule },
          { path: DATA_ACCESS_PATH, module: DataAccessModule },
        ]),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: validationPipe },
      ],
    };
  }
}
