import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';

/** How many jobs of a kind are in a status now. */
export interface JobStatusCount {
  kind: 'export' | 'segment';
  status: string;
  count: number;
}

/** How long the oldest job of a kind has been PROCESSING (seconds since its last update; 0 when none is). */
export interface OldestProcessing {
  kind: 'export' | 'segment';
  seconds: number;
}

/**
 * What operators see of the store as a whole: readiness and the counts behind the metrics. The
 * one repository that is not scoped to a tenant, on purpose: it returns counts only, never a row
 * or an org, and serves /health and /metrics, which no client's credentials reach.
 */
@Injectable()
export class OperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Resolves when the database answers a query now. */
  async ping(): Promise<void> {
    await withStoreErrors(() => this.prisma.$queryRaw`SELECT 1`);
  }

  async jobsByStatus(): Promise<JobStatusCount[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ kind: 'export' | 'segment'; status: string; n: number }>>`
        SELECT 'export' AS kind, status::text AS status, count(*)::int AS n FROM export_jobs WHERE deleted_at IS NULL GROUP BY status
        UNION ALL
        SELECT 'segment', status::text, count(*)::int FROM segment_jobs GROUP BY status`;
      return rows.map((r) => ({ kind: r.kind, status: r.status, count: r.n }));
    });
  }

  async oldestProcessing(): Promise<OldestProcessing[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ kind: 'export' | 'segment'; s: number | null }>>`
        SELECT 'export' AS kind, EXTRACT(EPOCH FROM now() - min(update_time))::float8 AS s FROM export_jobs WHERE status = 'PROCESSING' AND deleted_at IS NULL
        UNION ALL
        SELECT 'segment', EXTRACT(EPOCH FROM now() - min(update_time))::float8 FROM segment_jobs WHERE status = 'PROCESSING'`;
      return rows.map((r) => ({ kind: r.kind, seconds: Math.max(0, r.s ?? 0) }));
    });
  }
}
