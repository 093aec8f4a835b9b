export * from './record-source';
export * from './xdm-record';
export * from './preview';
