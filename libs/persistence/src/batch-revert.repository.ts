import { Injectable } from '@nestjs/common';
import { TenantScope } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql } from './tenant-scope';

export type RevertOutcome =
  | { status: 'reverted'; profiles: number; events: number }
  /** Already inactive: a REVERT sent again changes nothing. */
  | { status: 'already-inactive' }
  | { status: 'not-found' }
  | { status: 'not-success'; current: string };

/**
 * AEP's REVERT of a successful batch: its records leave the profile store and it becomes
 * `inactive`, in one transaction of the tenant (never a partial removal).
 *
 * Memberships: a segment membership row is per (segment, identity), not per batch, so the rows
 * derived from ingested records (`evaluated = false`) of the identities the batch touched are
 * derived again from the records that remain, with the ingest rule (the latest qualification wins,
 * an evaluation's row is replaced only by a later one). Rows written by a segment evaluation are
 * kept: the next evaluation recomputes them.
 */
@Injectable()
export class BatchRevertRepository {
  constructor(private readonly prisma: PrismaService) {}

  async revert(scope: TenantScope, batchId: string): Promise<RevertOutcome> {
    const { orgId, sandboxName } = scope;
    return withStoreErrors(() =>
      this.prisma.$transaction(
        async (tx) => {
          // The row lock also waits for a promotion still committing this batch.
          const rows = await tx.$queryRaw<Array<{ status: string }>>`
            SELECT status::text AS status FROM batches
             WHERE id = ${batchId} AND ${tenantSql(scope)} FOR UPDATE`;
          if (!rows.length) return { status: 'not-found' } as const;
          if (rows[0].status === 'inactive') return { status: 'already-inactive' } as const;
          if (rows[0].status !== 'success') return { status: 'not-success', current: rows[0].status } as const;

          await tx.$executeRaw`
            DELETE FROM segment_memberships m
             WHERE ${tenantSql(scope, 'm')} AND NOT m.evaluated
               AND m.identity IN (SELECT f.primary_identity FROM profile_fragments f
                                   WHERE f.batch_id = ${batchId} AND ${tenantSql(scope, 'f')})`;
          await tx.$executeRaw`
            INSERT INTO segment_memberships AS m (org_id, sandbox_name, segment_ns, segment_id, identity, status, last_qualification_time)
            SELECT DISTINCT ON (ns.key, seg.key, f.primary_identity)
                   ${orgId}, ${sandboxName}, ns.key, seg.key, f.primary_identity, seg.value->>'status',
                   COALESCE((seg.value->>'lastQualificationTime')::timestamptz, f.ingest_time)
              FROM profile_fragments f
              CROSS JOIN LATERAL json_each(f.record->'segmentMembership') ns
              CROSS JOIN LATERAL json_each(ns.value) seg
             WHERE ${tenantSql(scope, 'f')} AND f.batch_id <> ${batchId}
               AND f.primary_identity IN (SELECT r.primary_identity FROM profile_fragments r
                                           WHERE r.batch_id = ${batchId} AND ${tenantSql(scope, 'r')})
               AND json_typeof(f.record->'segmentMembership') = 'object'
             ORDER BY ns.key, seg.key, f.primary_identity,
                      COALESCE((seg.value->>'lastQualificationTime')::timestamptz, f.ingest_time) DESC
            ON CONFLICT (org_id, sandbox_name, segment_ns, segment_id, identity) DO UPDATE
               SET status = EXCLUDED.status, last_qualification_time = EXCLUDED.last_qualification_time, evaluated = false
             WHERE m.last_qualification_time < EXCLUDED.last_qualification_time
                OR (m.last_qualification_time = EXCLUDED.last_qualification_time AND NOT m.evaluated)`;
          const profiles = await tx.$executeRaw`
            DELETE FROM profile_fragments WHERE batch_id = ${batchId} AND ${tenantSql(scope)}`;
          const events = await tx.$executeRaw`
            DELETE FROM experience_events WHERE batch_id = ${batchId} AND ${tenantSql(scope)}`;
          await tx.$executeRaw`UPDATE batches SET status = 'inactive', updated_at = now() WHERE id = ${batchId}`;
          return { status: 'reverted', profiles, events } as const;
        },
        // A large batch's rows take a while to delete; the default 5 s would roll a valid revert back.
        { timeout: 10 * 60_000, maxWait: 10_000 },
      ),
    );
  }
}
