// Only repositories and domain types leave this library; Prisma stays inside.
export * from './api-client.repository';
export * from './batch.repository';
export * from './batch-promotion.repository';
export * from './bulk-ingest.repository';
export * from './catalog-filter';
export * from './dataset.repository';
export * from './export-job.repository';
export * from './export-queue-state.repository';
export * from './export-run.repository';
export * from './membership-delta.repository';
export * from './merge-policy.repository';
export * from './persistence.module';
export * from './preview.repository';
export * from './profile-read.repository';
export * from './segment-definition.repository';
export * from './segment-job.repository';
export * from './segment-run.repository';
