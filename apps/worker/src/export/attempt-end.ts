import type { Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { AppConfig } from '@sx/config';
import type { ExportJob, ExportMetrics, TenantScope } from '@sx/domain';
import type { ExportRunRepository } from '@sx/persistence';
import type { Metrics } from '@sx/observability';
import { CancelRequested } from '@sx/queue';
import { AttemptSuperseded, ExportFailure, jobError } from './export-failure';

/** A claimed attempt of an export job: the job, this attempt's lease token and number. */
export interface ExportAttemptClaim {
  job: ExportJob;
  lease: string;
  attempt: number;
}

export interface AttemptEndDeps {
  runs: ExportRunRepository;
  config: AppConfig;
  metrics: Metrics;
  logger: Logger;
}

/**
 * How an attempt that did not succeed ends, for the export kinds run apart from the pipeline (a
 * dry run, a diff's batch). Superseded: nothing written. Cancelled: CANCELLED. Bad input
 * (ExportFailure) or the last attempt: FAILED, and BullMQ told not to retry. Otherwise the lease is
 * released and the error rethrown, for BullMQ to retry after its backoff. `batchIds`: the batches
 * the attempt started, aborted with the job.
 */
export async function endUnsucceededAttempt(
  deps: AttemptEndDeps,
  what: string,
  scope: TenantScope,
  claim: ExportAttemptClaim,
  startedAt: number,
  failure: { reason: unknown; error: unknown },
  batchIds: string[] = [],
): Promise<Record<string, unknown>> {
  const { job, lease: token, attempt } = claim;
  const { reason, error: e } = failure;
  if (reason instanceof AttemptSuperseded || e instanceof AttemptSuperseded) {
    deps.logger.warn({ msg: `${what} attempt superseded; it committed nothing`, exportJobId: job.id, attempt });
    return { superseded: true };
  }
  const end = Date.now();
  const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt }, totalExportedProfileCounter: 0 };
  if (reason instanceof CancelRequested) {
    if (await deps.runs.end(scope, job.id, token, 'CANCELLED', batchIds, metrics)) deps.metrics.jobEnded('export', 'CANCELLED', end - startedAt);
    deps.logger.log({ msg: `${what} cancelled`, exportJobId: job.id });
    return { cancelled: true };
  }
  const final = e instanceof ExportFailure || attempt >= deps.config.EXPORT_ATTEMPTS;
  deps.logger.warn({ msg: final ? `${what} failed` : `${what} attempt failed; it will be retried`, exportJobId: job.id, attempt, error: (e as Error).message });
  if (final) {
    if (await deps.runs.end(scope, job.id, token, 'FAILED', batchIds, metrics, [jobError(e, attempt)])) deps.metrics.jobEnded('export', 'FAILED', end - startedAt);
    throw new UnrecoverableError((e as Error).message);
  }
  await deps.runs.release(scope, job.id, token).catch(() => undefined);
  throw e;
}
