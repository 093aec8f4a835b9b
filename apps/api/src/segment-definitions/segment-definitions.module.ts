import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { RequireJsonObjectBodyMiddleware } from '../common/require-json-body.middleware';
import { ExpressionChecker } from './expression-checker.service';
import { SegmentConversionController } from './segment-conversion.controller';
import { SegmentDefinitionsController } from './segment-definitions.controller';
import { SegmentDefinitionsService } from './segment-definitions.service';

@Module({
  controllers: [SegmentDefinitionsController, SegmentConversionController],
  providers: [SegmentDefinitionsService, ExpressionChecker],
  exports: [ExpressionChecker],
})
export class SegmentDefinitionsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Same body rules as the export API, for PATCH too: JSON objects only (415 / 400 before validation).
    consumer.apply(RequireJsonObjectBodyMiddleware).forRoutes(SegmentDefinitionsController, SegmentConversionController);
  }
}
