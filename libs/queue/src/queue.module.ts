import { Global, Module } from '@nestjs/common';
import { BatchPromotionDispatcher } from './batch-promotion-dispatcher';
import { ExportDispatcher } from './export-dispatcher';
import { JobQueueService } from './job-queue.service';
import { PreviewDispatcher } from './preview-dispatcher';

import { SegmentDispatcher } from './segment-dispatcher';

const providers = [JobQueueService, ExportDispatcher, BatchPromotionDispatcher, SegmentDispatcher, PreviewDispatcher];

@Global()
@Module({ providers, exports: providers })
export class QueueModule {}
