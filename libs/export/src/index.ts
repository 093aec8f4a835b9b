export * from './events';
export * from './merge';
export type { PlainObject } from './plain-object';
export * from './project';
export * from './qualify';
export * from './stored-json';
export * from './overlay';
export * from './byte-builder';
export { compileMergeInputProjection, compileStoredProjection, type StoredRowInput } from './stored-projection';
