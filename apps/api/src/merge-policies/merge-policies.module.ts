import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequireJsonPatchBodyMiddleware } from '../common/require-json-body.middleware';
import { MergePoliciesController } from './merge-policies.controller';
import { MergePoliciesService } from './merge-policies.service';

@Module({ controllers: [MergePoliciesController], providers: [MergePoliciesService] })
export class MergePoliciesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Same body rules as the export API, for PUT and PATCH too: JSON objects only, except that a
    // PATCH may send an array of operations (415 / 400 before validation).
    consumer.apply(RequireJsonPatchBodyMiddleware).forRoutes(MergePoliciesController);
  }
}
