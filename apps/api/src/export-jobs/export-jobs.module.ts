import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ExportDiffController } from './diff/export-diff.controller';
import { ExportDiffService } from './diff/export-diff.service';
import { ExportJobsController } from './export-jobs.controller';
import { ExportJobsService } from './export-jobs.service';
import { RequireJsonObjectMiddleware } from './require-json.middleware';

@Module({ controllers: [ExportJobsController, ExportDiffController], providers: [ExportJobsService, ExportDiffService], exports: [ExportJobsService] })
export class ExportJobsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequireJsonObjectMiddleware).forRoutes(ExportJobsController);
  }
}
