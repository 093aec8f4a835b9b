import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ExportJobsController } from './export-jobs.controller';
import { ExportJobsService } from './export-jobs.service';
import { RequireJsonObjectMiddleware } from './require-json.middleware';

@Module({ controllers: [ExportJobsController], providers: [ExportJobsService], exports: [ExportJobsService] })
export class ExportJobsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequireJsonObjectMiddleware).forRoutes(ExportJobsController);
  }
}
