import type { OptionSpec } from '../args';
import { ApiCallFailed, ApiCaller, ApiUnreachable } from './api-caller';
import { CommandResult, EXIT, numberOption } from '../export/export.commands';
import { Progress, progressMode } from '../progress';

/** The options of every command that waits for a job (export wait, segment-job wait, --wait). */
export const PROGRESS: OptionSpec = { type: 'string', value: 'auto|always|never', help: 'progress on stderr: auto (when stderr is a terminal), always, never' };
export const WAIT_OPTIONS: Record<string, OptionSpec> = {
  timeout: { type: 'string', value: 'SECONDS', help: 'give up waiting after this long (exit 5); default: no limit' },
  interval: { type: 'string', value: 'MS', help: 'poll every this many milliseconds (default 1000)' },
};

/** Transient trouble while polling (the API restarting, a 5xx): retried this many times in a row. */
const POLL_RETRIES = 5;
const END_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What the wait loop needs to know of one kind of job. */
export interface Waited<J extends { status: string }> {
  /** `job 12` or `segment job 1a2b3c4d`: how messages name it. */
  label: string;
  path: string;
  /** The progress line of the job as last read. */
  line(job: J, startedMs: number, tick: number): string;
  /** The ended job as a result: its exit code and message. */
  ended(job: J): CommandResult;
}

/**
 * Polls GET `path` every --interval ms until the job is SUCCEEDED, FAILED or CANCELLED (then its
 * `ended` result), or --timeout seconds pass (exit 5), drawing its line on stderr as it goes.
 */
export async function waitForEnd<J extends { status: string }>(api: ApiCaller, w: Waited<J>, options: Record<string, string>): Promise<CommandResult> {
  const timeoutS = numberOption(options, 'timeout', undefined, 0);
  const intervalMs = numberOption(options, 'interval', 1000, 10)!;
  const progress = new Progress(progressMode(options.progress));
  const started = Date.now();
  let failures = 0;
  let job: J | undefined;
  for (let tick = 0; ; tick++) {
    try {
      job = await api.json<J>('GET', w.path);
      failures = 0;
    } catch (e) {
      const transient = e instanceof ApiUnreachable || (e instanceof ApiCallFailed && e.status >= 500);
      if (!transient || ++failures > POLL_RETRIES) {
        progress.done();
        throw e;
      }
    }
    if (job) {
      if (END_STATES.includes(job.status)) {
        progress.done(w.line(job, started, tick));
        return w.ended(job);
      }
      progress.update(w.line(job, started, tick));
    }
    if (timeoutS !== undefined && Date.now() - started >= timeoutS * 1000) {
      progress.done();
      return { output: job, code: EXIT.timeout, message: `${w.label} is still ${job?.status ?? 'unknown'} after ${timeoutS} s (--timeout)` };
    }
    const left = timeoutS === undefined ? intervalMs : Math.min(intervalMs, Math.max(0, timeoutS * 1000 - (Date.now() - started)));
    await new Promise((r) => setTimeout(r, left));
  }
}
