export * from './dataset-storage';
export * from './local-dataset-storage';
export * from './s3-dataset-storage';
export * from './s3-client';
export * from './storage.module';
