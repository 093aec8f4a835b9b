import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { BatchPromotionDispatcher } from './batch-promotion-dispatcher';
import { CancelPublisher } from './cancel-signals';
import { ExportDispatcher } from './export-dispatcher';
import { JobQueueService } from './job-queue.service';
import { PreviewDispatcher } from './preview-dispatcher';
import { redisConnection } from './redis-connection';
import { QueueName } from './registry';
import { ScheduleTickers } from './schedule-tickers';
import { SegmentDispatcher } from './segment-dispatcher';

const providers = [JobQueueService, CancelPublisher, ExportDispatcher, BatchPromotionDispatcher, SegmentDispatcher, PreviewDispatcher, ScheduleTickers];

/** Every queue of the registry, registered with @nestjs/bullmq. */
export const REGISTERED_QUEUES = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));

/**
 * BullMQ through @nestjs/bullmq: the root connection and prefix from the validated config, every
 * queue of the registry, and the producers. Processors are registered by the worker app alone.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ prefix: config.QUEUE_PREFIX, connection: redisConnection(config.REDIS_URL, 'producer') }),
    }),
    REGISTERED_QUEUES,
  ],
  providers,
  exports: [...providers, REGISTERED_QUEUES],
})
export class QueueModule {}
