import { Global, Module } from '@nestjs/common';
import { BatchPromotionDispatcher } from './batch-promotion-dispatcher';
import { ExportDispatcher } from './export-dispatcher';
import { JobQueueService } from './job-queue.service';
import { SegmentDispatcher } from './segment-dispatcher';

@Global()
@Module({ providers: [JobQueueService, ExportDispatcher, BatchPromotionDispatcher, SegmentDispatcher], exports: [JobQueueService, ExportDispatcher, BatchPromotionDispatcher, SegmentDispatcher] })
export class QueueModule {}
