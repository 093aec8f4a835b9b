import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequireJsonObjectMiddleware } from '../export-jobs/require-json.middleware';
import { SegmentDefinitionsModule } from '../segment-definitions/segment-definitions.module';
import { PreviewsController } from './previews.controller';
import { PreviewsService } from './previews.service';

@Module({ imports: [SegmentDefinitionsModule], controllers: [PreviewsController], providers: [PreviewsService] })
export class PreviewsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Same body rules as the other AEP APIs: JSON objects only (415 / 400 before validation).
    consumer.apply(RequireJsonObjectMiddleware).forRoutes(PreviewsController);
  }
}
