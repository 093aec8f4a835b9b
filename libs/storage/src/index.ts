export * from './dataset-storage';
export * from './local-dataset-storage';
export * from './storage.module';
