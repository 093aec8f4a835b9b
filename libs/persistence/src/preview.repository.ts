import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IdentityGraphType, NewPreview, Preview, PreviewMatch, PreviewState, TenantScope, isUuid } from '@sx/domain';
import type { Preview as PreviewRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

export interface QueueablePreview extends TenantScope {
  previewId: string;
}

export type PreviewClaim =
  | { outcome: 'claimed'; preview: Preview; token: string }
  /** Deleted, expired or already ended: nothing to run. */
  | { outcome: 'gone' }
  /** Another live attempt holds it (its lease has not run out). */
  | { outcome: 'busy' }
  /** Its attempts are used up: it was ended FAILED. */
  | { outcome: 'exhausted' };

/** What a running preview has found since its last checkpoint. */
export interface PreviewProgress {
  profilesRead: number;
  profilesMatched: number;
  namespaceDistribution: Record<string, number>;
  /** New matches, numbered from `firstOrdinal` (ordinals continue across checkpoints). */
  matches: PreviewMatch[];
  firstOrdinal: number;
}

/**
 * Previews and their matching profiles. Every API read is scoped to the tenant; the worker side
 * works by id plus the attempt token its claim returned, so an attempt that lost its lease (or
 * whose preview was deleted) can no longer write.
 */
@Injectable()
export class PreviewRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores a NEW preview with its outbox marker set. */
  async create(scope: TenantScope, preview: NewPreview, ttlMs: number): Promise<Preview> {
    return withStoreErrors(async () => {
      const row = await this.prisma.preview.create({
        data: {
          id: randomUUID(),
          ...tenantWhere(scope),
          expression: preview.expression,
          predicateModel: preview.predicateModel,
          graphType: preview.graphType,
          mergePolicyId: preview.mergePolicyId,
          expiresAt: new Date(Date.now() + ttlMs),
        },
      });
      return toPreview(row);
    });
  }

  /** A preview of the tenant that has not expired, or null. */
  async find(scope: TenantScope, id: string): Promise<Preview | null> {
    if (!isUuid(id)) return null;
    return withStoreErrors(async () => {
      const row = await this.prisma.preview.findFirst({ where: { id, ...tenantWhere(scope), expiresAt: { gt: new Date() } } });
      return row && toPreview(row);
    });
  }

  /** One page of a preview's matches in profile key order (the preview must be the tenant's: check with find first). */
  async matches(scope: TenantScope, id: string, offset: number, limit: number): Promise<PreviewMatch[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.previewMatch.findMany({
        where: { previewId: id, ordinal: { gte: offset }, preview: tenantWhere(scope) },
        orderBy: { ordinal: 'asc' },
        take: limit,
      });
      return rows.map((r) => ({ entityId: r.entityId, identities: r.identities as string[] }));
    });
  }

  /** DELETE: removes the preview and its matches; a running attempt notices at its next checkpoint and stops. */
  async delete(scope: TenantScope, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return withStoreErrors(async () => {
      const { count } = await this.prisma.preview.deleteMany({ where: { id, ...tenantWhere(scope), expiresAt: { gt: new Date() } } });
      return count > 0;
    });
  }

  /** Previews whose marker the API left (Redis was down, or the API died after the commit). */
  async pendingEnqueue(limit: number): Promise<QueueablePreview[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.preview.findMany({
        where: { toEnqueue: true },
        orderBy: { createdAt: 'asc' },
        take: limit,
        select: { id: true, orgId: true, sandboxName: true },
      });
      return rows.map((r) => ({ previewId: r.id, orgId: r.orgId, sandboxName: r.sandboxName }));
    });
  }

  async markEnqueued(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await withStoreErrors(() => this.prisma.preview.updateMany({ where: { id: { in: ids } }, data: { toEnqueue: false } }));
  }

  /** NEW or RUNNING previews that no live attempt holds (no lease, or a lease run out), oldest first. */
  async unfinished(limit: number): Promise<QueueablePreview[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string; org_id: string; sandbox_name: string }>>`
        SELECT id::text AS id, org_id, sandbox_name FROM previews
         WHERE state IN ('NEW', 'RUNNING') AND NOT to_enqueue AND expires_at > now()
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
         ORDER BY created_at LIMIT ${limit}`;
      return rows.map((r) => ({ previewId: r.id, orgId: r.org_id, sandboxName: r.sandbox_name }));
    });
  }

  /**
   * Starts an attempt: RUNNING, attempts + 1, a new token and lease (the database's now +
   * `leaseMs`), counters reset (numRowsToRead = `totalRows`, counted before) and a previous
   * attempt's matches deleted, in one transaction.
   */
  async claim(id: string, leaseMs: number, maxAttempts: number, totalRows: number): Promise<PreviewClaim> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx): Promise<PreviewClaim> => {
        const rows = await tx.$queryRaw<Array<{ state: string; attempts: number; live: boolean }>>`
          SELECT state, attempts, (lease_expires_at IS NOT NULL AND lease_expires_at > now()) AS live
            FROM previews WHERE id = ${id}::uuid AND expires_at > now() FOR UPDATE`;
        const row = rows[0];
        if (!row || (row.state !== 'NEW' && row.state !== 'RUNNING')) return { outcome: 'gone' };
        if (row.live) return { outcome: 'busy' };
        if (row.attempts >= maxAttempts) {
          await tx.preview.update({
            where: { id },
            data: { state: 'FAILED', error: `attempt ${row.attempts} of ${maxAttempts} stopped without a result`, updatedAt: new Date(), leaseExpiresAt: null },
          });
          return { outcome: 'exhausted' };
        }
        await tx.previewMatch.deleteMany({ where: { previewId: id } });
        const token = randomUUID();
        await tx.$executeRaw`
          UPDATE previews SET state = 'RUNNING', attempts = attempts + 1, attempt_token = ${token}::uuid,
                 lease_expires_at = now() + ${leaseMs} * interval '1 millisecond', profiles_read = 0, profiles_matched = 0,
                 namespace_distribution = '{}', total_rows = ${totalRows}, error = NULL, updated_at = now()
           WHERE id = ${id}::uuid`;
        const updated = await tx.preview.findUniqueOrThrow({ where: { id } });
        return { outcome: 'claimed', preview: toPreview(updated), token };
      }),
    );
  }

  /**
   * Profiles of the tenant's store as identity graph `none` keys them (distinct primary
   * identities of fragments and events): numRowsToRead while a preview runs. Under `pdg` it is
   * an upper bound; the run sets the exact number read when it ends.
   */
  async profileCount(scope: TenantScope): Promise<number> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM (
          SELECT primary_identity FROM profile_fragments WHERE ${tenantSql(scope)}
          UNION
          SELECT primary_identity FROM experience_events WHERE ${tenantSql(scope)}) k`;
      return rows[0]?.n ?? 0;
    });
  }

  /**
   * A checkpoint: the new matches and the counters so far in one transaction, and the lease
   * renewed. False (nothing written) when the preview was deleted or another attempt took it.
   */
  async checkpoint(id: string, token: string, leaseMs: number, progress: PreviewProgress): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const n = await tx.$executeRaw`
          UPDATE previews SET profiles_read = ${progress.profilesRead}, profiles_matched = ${progress.profilesMatched},
                 namespace_distribution = ${JSON.stringify(progress.namespaceDistribution)}::jsonb,
                 lease_expires_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
           WHERE id = ${id}::uuid AND attempt_token = ${token}::uuid AND state = 'RUNNING'`;
        if (n === 0) return false;
        if (progress.matches.length) {
          await tx.previewMatch.createMany({
            data: progress.matches.map((m, i) => ({ previewId: id, ordinal: progress.firstOrdinal + i, entityId: m.entityId, identities: m.identities })),
          });
        }
        return true;
      }),
    );
  }

  /** Ends the attempt: RESULT_READY (or FAILED with `error`). False when it no longer holds the preview. */
  async finish(id: string, token: string, state: Extract<PreviewState, 'RESULT_READY' | 'FAILED'>, end: { totalRows?: number; error?: string }): Promise<boolean> {
    return withStoreErrors(async () => {
      const { count } = await this.prisma.preview.updateMany({
        where: { id, attemptToken: token, state: 'RUNNING' },
        data: { state, error: end.error ?? null, ...(end.totalRows !== undefined ? { totalRows: end.totalRows } : {}), leaseExpiresAt: null, updatedAt: new Date() },
      });
      return count > 0;
    });
  }

  /** An attempt that threw and will be retried gives up its lease, so that the retry can claim at once. */
  async release(id: string, token: string): Promise<void> {
    await withStoreErrors(() => this.prisma.preview.updateMany({ where: { id, attemptToken: token, state: 'RUNNING' }, data: { leaseExpiresAt: null } }));
  }

  /** Removes previews past their expiry (their matches go with them); the number removed. */
  async deleteExpired(limit: number): Promise<number> {
    return withStoreErrors(
      () => this.prisma.$executeRaw`
        DELETE FROM previews WHERE id IN (SELECT id FROM previews WHERE expires_at <= now() ORDER BY expires_at LIMIT ${limit})`,
    );
  }
}

function toPreview(row: PreviewRow): Preview {
  const preview: Preview = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    expression: row.expression,
    predicateModel: row.predicateModel,
    graphType: row.graphType as IdentityGraphType,
    mergePolicyId: row.mergePolicyId,
    state: row.state as PreviewState,
    attempts: row.attempts,
    totalRows: row.totalRows,
    profilesRead: row.profilesRead,
    profilesMatched: row.profilesMatched,
    namespaceDistribution: row.namespaceDistribution as Record<string, number>,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
  if (row.error !== null) preview.error = row.error;
  return preview;
}
