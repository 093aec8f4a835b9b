import { Logger } from '@nestjs/common';
import type { TenantScope } from '@sx/domain';
import type { ExportRunRepository } from '@sx/persistence';

/**
 * Keeps an attempt's lease on its job alive while it runs: renewed every third of its length, so
 * two renewals may fail (a database blip) before it lapses. A renewal that finds the lease taken
 * calls `onLost`: the attempt must stop and commit nothing. A renewal that fails on the database
 * is left to the next tick (the lease is fenced by its token, so a late renewal is still valid).
 */
export class AttemptLease {
  private readonly logger = new Logger(AttemptLease.name);
  private timer?: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly runs: ExportRunRepository,
    private readonly scope: TenantScope,
    private readonly jobId: number,
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
      if (!(await this.runs.renew(this.scope, this.jobId, this.token, this.leaseMs))) {
        this.stop();
        this.logger.warn({ msg: 'export attempt lost its lease; stopping it', exportJobId: this.jobId });
        this.onLost();
      }
    } catch (e) {
      this.logger.warn({ msg: 'could not renew the export lease; will retry', exportJobId: this.jobId, error: (e as Error).message });
    } finally {
      this.renewing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
