import { ValidationFailed } from '@sx/domain';

/**
 * `?action=` of AEP's import API, matched case-insensitively (AEP's docs show `action=complete`
 * as well as `COMPLETE`). Anything else, or the parameter given twice, is a 400 naming `action`.
 */
export function parseAction<A extends string>(value: unknown, allowed: readonly A[]): A {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  const found = allowed.find((a) => a === upper);
  if (found) return found;
  throw new ValidationFailed([{ path: 'action', message: `must be one of ${allowed.join(', ')} (any case)` }]);
}

export const BATCH_ACTIONS = ['COMPLETE', 'ABORT', 'FAIL', 'REVERT'] as const;
export const FILE_ACTIONS = ['INITIALIZE', 'COMPLETE'] as const;
