import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './test-env';

/** A built app (dist/) running as a real child process, with its JSON log lines collected. */
export class ChildApp {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly proc: ChildProcess) {
    let buffer = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ msg: line });
        }
        this.waiters.forEach((w) => w());
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => this.lines.push({ level: 'stderr', msg: chunk.toString() }));
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(app: 'worker' | 'api', env: NodeJS.ProcessEnv): ChildApp {
    return new ChildApp(spawn('node', [join(ROOT, `dist/apps/${app}/src/main.js`)], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.find(predicate);
        if (hit) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`log line not seen within ${timeoutMs} ms; got:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

/** Polls `check` until it returns true, or fails after timeoutMs. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Worker processes a suite starts with its settings (plus each start's own), to stop all at once. */
export class ChildWorkers {
  private readonly running: ChildApp[] = [];

  /** `childEnv`: the test env's (called at each start, so the env may be created after this). */
  constructor(
    private readonly childEnv: (overrides: Record<string, string>) => NodeJS.ProcessEnv,
    private readonly settings: Record<string, string>,
  ) {}

  start(extra: Record<string, string> = {}): ChildApp {
    const w = ChildApp.start('worker', this.childEnv({ ...this.settings, ...extra }));
    this.running.push(w);
    return w;
  }

  /** SIGKILL every worker started so far (a test that fails midway must not leave them running). */
  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((c) => c.stop('SIGKILL')));
  }
}
