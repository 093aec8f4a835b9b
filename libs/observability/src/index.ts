export * from './json-logger';
export * from './request-context';
export * from './metrics';
export * from './operability.module';
export * from './readiness';
export * from './metrics-access';
export * from './operations-endpoints';
