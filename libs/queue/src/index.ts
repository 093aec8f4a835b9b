export * from './batch-promotion-dispatcher';
export * from './export-dispatcher';
export * from './job-queue.service';
export * from './queue.module';
export * from './redis-connection';
export * from './registry';
export * from './segment-dispatcher';
