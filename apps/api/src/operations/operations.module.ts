import { Module } from '@nestjs/common';
import { OperabilityModule } from '@sx/observability';
import { OperationsController } from './operations.controller';

@Module({ imports: [OperabilityModule.forRoot('api')], controllers: [OperationsController] })
export class OperationsModule {}
