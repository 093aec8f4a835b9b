import { Global, Module } from '@nestjs/common';
import { BatchPromotionDispatcher } from './batch-promotion-dispatcher';
import { ExportDispatcher } from './export-dispatcher';
import { JobQueueService } from './job-queue.service';

@Global()
@Module({ providers: [JobQueueService, ExportDispatcher, BatchPromotionDispatcher], exports: [JobQueueService, ExportDispatcher, BatchPromotionDispatcher] })
export class QueueModule {}
