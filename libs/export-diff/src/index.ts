export * from './diff-plan';
export * from './diff-reader';
export { UnreadableRow, primaryIdentityOf, profileKeyOf } from './jsonl-diff-rows';
