import { Logger } from '@nestjs/common';

/** What a lease renews: one job's lease row (an export, a segment job), fenced by its token. */
export interface LeasedJob {
  /** For logs: `{exportJobId: 7}`, `{segmentJobId: "…"}`. */
  readonly label: Readonly<Record<string, string | number>>;
  /** Extends the lease by `leaseMs`; false when the token no longer holds it. */
  renew(leaseMs: number): Promise<boolean>;
}

/**
 * Keeps an attempt's lease on its job alive while it runs: renewed every third of its length, so
 * two renewals may fail (a database blip) before it lapses. A renewal that finds the lease taken
 * calls `onLost`: the attempt must stop and commit nothing. A renewal that fails on the database
 * is left to the next tick (the lease is fenced by its token, so a late renewal is still valid).
 * One class for every kind of job, so that the lease rules cannot drift apart.
 */
export class AttemptLease {
  private readonly logger = new Logger(AttemptLease.name);
  private timer?: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly job: LeasedJob,
    readonly token: string,
    private readonly leaseMs: number,
    private readonly onLost: () => void,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
    return this;
  }

  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      if (!(await this.job.renew(this.leaseMs))) {
        this.stop();
        this.logger.warn({ msg: 'attempt lost its lease; stopping it', ...this.job.label });
        this.onLost();
      }
    } catch (e) {
      this.logger.warn({ msg: 'could not renew the lease; will retry', ...this.job.label, error: (e as Error).message });
    } finally {
      this.renewing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
