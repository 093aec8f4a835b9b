import { Logger } from '@nestjs/common';
import type { TenantScope } from '@sx/domain';
import type { SegmentRunRepository } from '@sx/persistence';

/**
 * Keeps a segment job attempt's lease alive (renewed every third of its length, as AttemptLease
 * does for exports); a renewal that finds the lease taken calls `onLost`.
 */
export class SegmentLease {
  private readonly logger = new Logger(SegmentLease.name);
  private timer?: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly runs: SegmentRunRepository,
    private readonly scope: TenantScope,
    private readonly jobId: string,
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
        this.logger.warn({ msg: 'segment job attempt lost its lease; stopping it', segmentJobId: this.jobId });
        this.onLost();
      }
    } catch (e) {
      this.logger.warn({ msg: 'could not renew the segment job lease; will retry', segmentJobId: this.jobId, error: (e as Error).message });
    } finally {
      this.renewing = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
