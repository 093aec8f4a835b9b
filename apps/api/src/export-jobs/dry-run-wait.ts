import { ExportJob, FINISHED_STATUSES } from '@sx/domain';

/** First look after this long, then each wait half as long again, at most MAX_STEP_MS. */
const FIRST_STEP_MS = 25;
const MAX_STEP_MS = 500;

/**
 * The Idempotency-Key a dry run is stored under. Real keys are printable ASCII without spaces
 * (the controller checks), so a key with a space can never be a real job's: a dry run and a real
 * job sent with the same key are two jobs, each replayed on its own.
 */
export function dryRunIdempotencyKey(key: string): string {
  return `dryRun ${key}`;
}

/**
 * The dry run once it ended, or as it stands after `waitMs`. It looks again with a growing
 * interval (25 ms, then 1.5 times longer each time, at most 500 ms: about 15 reads over 10 s),
 * each look one short query whose connection goes back to the pool in between.
 */
export async function waitForDryRun(job: ExportJob, waitMs: number, reload: () => Promise<ExportJob>, sleep = defaultSleep): Promise<ExportJob> {
  const deadline = Date.now() + waitMs;
  let current = job;
  for (let step = FIRST_STEP_MS; !FINISHED_STATUSES.includes(current.status); step = Math.min(MAX_STEP_MS, step * 1.5)) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(step, left));
    current = await reload();
  }
  return current;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
