import type { ExportJobError } from '@sx/domain';
import { errorLine } from '../common/error-line';

/** A failure that retrying cannot fix (the job's own inputs are wrong): the job fails at once. */
export class ExportFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Codes in AEP's style for the job's `errors[]`. */
export const ERROR_CODES = {
  generic: '0100000003',
  writing: '0090000009',
  input: '0100000010',
} as const;

/** The job's error entry: what happened, and the error's class and message as its "call stack"
 * (first line only: no file paths or internals). */
export function jobError(e: unknown, attempts: number): ExportJobError {
  if (e instanceof ExportFailure) return { code: e.code, msg: e.message, callStack: `ExportFailure: ${e.message}` };
  const err = e instanceof Error ? e : new Error(String(e));
  // One line, with file paths and quoted names taken out: what failed, not where it lives.
  const firstLine = errorLine(err.message).replace(/"[^"]*"/g, '"…"');
  return { code: ERROR_CODES.generic, msg: `Error in Export Job (after ${attempts} attempt${attempts === 1 ? '' : 's'}): ${firstLine}`, callStack: `${err.name}: ${firstLine}` };
}

/**
 * The attempt lost its lease: another attempt claimed the job after this one stalled (its renewals
 * did not reach Postgres in time), or the job ended meanwhile. It must commit nothing.
 */
export class AttemptSuperseded extends Error {
  constructor() {
    super('export attempt superseded: another attempt holds the job');
  }
}

/** The job's error when its last allowed attempt stopped without ending it (its worker died). */
export function attemptsExhaustedError(attempts: number): ExportJobError {
  const msg = `Error in Export Job (after ${attempts} attempt${attempts === 1 ? '' : 's'}): attempt ${attempts} of ${attempts} stopped without a result (its worker was killed or lost its lease)`;
  return { code: ERROR_CODES.generic, msg, callStack: 'AttemptsExhausted: the last allowed attempt never ended' };
}
