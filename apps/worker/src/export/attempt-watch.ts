import type { AppConfig } from '@sx/config';
import type { TenantScope } from '@sx/domain';
import type { ExportRunRepository } from '@sx/persistence';
import { CancelRequested, type CancelSubscriber } from '@sx/queue';
import { AttemptLease } from '../common/attempt-lease';
import { AttemptSuperseded } from './export-failure';

/** What one attempt of an export job runs under; `stop()` in the attempt's finally. */
export interface ExportAttemptWatch {
  /** Aborted with AttemptSuperseded when the lease is lost, with CancelRequested on a cancel. */
  signal: AbortSignal;
  stop(): void;
}

/**
 * Keeps the attempt's lease renewed and watches for a cancel: the pub/sub signal, and a poll of
 * the job every CANCEL_POLL_MS (a signal sent while this worker's subscriber was reconnecting is
 * not lost). Shared by an export's attempt and a dry run's.
 */
export function watchExportAttempt(
  deps: { runs: ExportRunRepository; cancels: CancelSubscriber; config: AppConfig },
  scope: TenantScope,
  id: number,
  token: string,
  label: Record<string, string | number>,
): ExportAttemptWatch {
  const controller = deps.cancels.watch(id);
  const lease = new AttemptLease({ label, renew: (ms) => deps.runs.renew(scope, id, token, ms) }, token, deps.config.WORKER_LOCK_MS, () =>
    controller.abort(new AttemptSuperseded()),
  ).start();
  const poll = setInterval(() => {
    deps.runs.cancelRequested(scope, id).then(
      (yes) => yes && controller.abort(new CancelRequested()),
      () => undefined,
    );
  }, deps.config.CANCEL_POLL_MS);
  return {
    signal: controller.signal,
    stop() {
      lease.stop();
      clearInterval(poll);
      deps.cancels.unwatch(id, controller);
    },
  };
}
