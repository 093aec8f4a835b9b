import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequireJsonObjectMiddleware } from '../export-jobs/require-json.middleware';
import { MergePoliciesController } from './merge-policies.controller';
import { MergePoliciesService } from './merge-policies.service';

@Module({ controllers: [MergePoliciesController], providers: [MergePoliciesService] })
export class MergePoliciesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Same body rules as the export API: JSON objects only (415 / 400 before validation).
    consumer.apply(RequireJsonObjectMiddleware).forRoutes(MergePoliciesController);
  }
}
