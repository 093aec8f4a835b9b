import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Metrics } from '@sx/observability';

/**
 * The schedule every reconciler shares: one pass at start and every `intervalMs`, concurrent
 * calls sharing the pass in flight, a failed pass logged and retried at the next tick, and no new
 * pass once shutdown begins (the one in flight ends before connections close).
 */
export abstract class PeriodicReconciler<R extends object> implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<R>;
  // A property, so that every reconciler's constructor stays its own; each count of a report is
  // an action (`sx_reconciler_actions_total{reconciler="export", action="requeued"}`).
  @Optional() @Inject(Metrics) private readonly metrics?: Metrics;

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
      const reconciler = this.constructor.name
        .replace(/ReconcilerService$/, '')
        .replace(/(?<=[a-z])(?=[A-Z])/g, '-')
        .toLowerCase();
      for (const [action, n] of Object.entries(report)) if (typeof n === 'number' && n > 0) this.metrics?.reconcilerActions.inc({ reconciler, action }, n);
    } catch (e) {
      this.logger.warn({ msg: `${this.didSomething}: pass failed; will retry`, error: (e as Error).message });
    }
  }
}
