export * from './api-client';
export * from './client-secret';
export * from './dataset';
export * from './errors';
export * from './export-job';
export * from './merge-policy';
export * from './segment-definition';
export * from './tenant';
