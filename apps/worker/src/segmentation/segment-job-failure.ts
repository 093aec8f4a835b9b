import type { ExportJobError } from '@sx/domain';
import { errorLine } from '../common/error-line';

/** A failure retrying cannot fix (a definition that does not parse, a cycle, an unknown policy): fails at once. */
export class SegmentJobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const SEGMENT_ERROR_CODES = { generic: '0100000003', input: '0100000010' } as const;

/** The job lost its lease (another attempt holds it, or it ended): it must commit nothing. */
export class SegmentAttemptSuperseded extends Error {
  constructor() {
    super('segment job attempt superseded: another attempt holds the job');
  }
}

/** The abort reason of a job stopped by its cancel request. */
export class SegmentCancelRequested extends Error {
  constructor() {
    super('cancel requested');
  }
}

/** The job's `errors[]` entry: first line of the message only, without paths. */
export function segmentJobError(e: unknown, attempts: number): ExportJobError {
  if (e instanceof SegmentJobFailure) return { code: e.code, msg: e.message, callStack: `SegmentJobFailure: ${e.message}` };
  const err = e instanceof Error ? e : new Error(String(e));
  const firstLine = errorLine(err.message);
  return {
    code: SEGMENT_ERROR_CODES.generic,
    msg: `Error in Segment Job (after ${attempts} attempt${attempts === 1 ? '' : 's'}): ${firstLine}`,
    callStack: `${err.name}: ${firstLine}`,
  };
}

export function segmentAttemptsExhausted(attempts: number): ExportJobError {
  return {
    code: SEGMENT_ERROR_CODES.generic,
    msg: `Error in Segment Job (after ${attempts} attempt${attempts === 1 ? '' : 's'}): attempt ${attempts} of ${attempts} stopped without a result (its worker was killed or lost its lease)`,
    callStack: 'AttemptsExhausted: the last allowed attempt never ended',
  };
}
