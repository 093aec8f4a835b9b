import { ValidationFailed } from '@sx/domain';

/** The fields a ValidationFailed names (the paths of its 400); fails when `fn` is not refused. */
export function refused(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationFailed) return e.problems.map((p) => p.path);
    throw e;
  }
  throw new Error('not refused');
}
