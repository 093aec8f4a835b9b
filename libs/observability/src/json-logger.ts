import { LoggerService } from '@nestjs/common';
import { currentRequestId } from './request-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Structured logs: one JSON object per line on stdout, with the current request id when there is
 * one. Used as Nest's logger in every app, so framework lines come out the same way.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly app: string,
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }

  private emit(level: Exclude<LogLevel, 'silent'>, message: unknown, rest: unknown[]): void {
    if (RANK[level] < RANK[this.level]) return;
    // Nest passes the context as the last string argument, and a stack before it for errors.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, app: this.app };
    if (context) line.context = context;
    const requestId = currentRequestId();
    if (requestId) line.requestId = requestId;
    if (message instanceof Error) {
      line.msg = message.message;
      line.stack = message.stack;
    } else if (message !== null && typeof message === 'object') {
      Object.assign(line, message);
    } else {
      line.msg = String(message);
    }
    for (const extra of args) {
      if (typeof extra === 'string') line.stack = extra;
      else if (extra instanceof Error) line.stack = extra.stack;
      else if (extra && typeof extra === 'object') Object.assign(line, extra);
    }
    this.write(JSON.stringify(line));
  }
}

/**
 * A start-up that failed (invalid configuration, a port taken, a database that refused): one JSON
 * line on stderr, as every other log line is JSON, then exit 1.
 */
export function fatalStartError(app: string, e: unknown, exit: (code: number) => void = (code) => process.exit(code)): void {
  const line = { time: new Date().toISOString(), level: 'fatal', app, msg: `${app} did not start: ${e instanceof Error ? e.message : String(e)}` };
  process.stderr.write(JSON.stringify(line) + '\n');
  exit(1);
}
