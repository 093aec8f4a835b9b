export * from './api-client';
export * from './client-secret';
export * from './errors';
export * from './export-job';
export * from './tenant';
