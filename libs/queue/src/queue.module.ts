import { Global, Module } from '@nestjs/common';
import { ExportDispatcher } from './export-dispatcher';
import { JobQueueService } from './job-queue.service';

@Global()
@Module({ providers: [JobQueueService, ExportDispatcher], exports: [JobQueueService, ExportDispatcher] })
export class QueueModule {}
