import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

/**
 * The schedule every reconciler shares: one pass at start and every `intervalMs`, concurrent
 * calls sharing the pass in flight, a failed pass logged and retried at the next tick, and no new
 * pass once shutdown begins (the one in flight ends before connections close).
 */
export abstract class PeriodicReconciler<R extends object> implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<R>;

  protected constructor(
    protected readonly logger: Logger,
    private readonly intervalMs: number,
    /** The log line of a pass that did something, e.g. "reconciled queue with database". */
    private readonly didSomething: string,
  ) {}

  /** One pass over everything; each count of the report says what it did. */
  protected abstract pass(): Promise<R>;

  onApplicationBootstrap(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls share the pass in flight. */
  reconcile(): Promise<R> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      const report = await this.reconcile();
      if (Object.values(report).some((n) => n)) this.logger.log({ msg: this.didSomething, ...report });
    } catch (e) {
      this.logger.warn({ msg: `${this.didSomething}: pass failed; will retry`, error: (e as Error).message });
    }
  }
}
