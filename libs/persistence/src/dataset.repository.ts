import { Injectable } from '@nestjs/common';
import { CatalogTags, Conflict, Dataset, DatasetFields, FileDescription, TenantScope, newDatasetId } from '@sx/domain';
import { CatalogListQuery, DATASET_FIELDS, listIdsSql, refuseBadRegex } from './catalog-filter';
import { Prisma } from './generated/prisma/client';
import type { Dataset as DatasetRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

function toDataset(row: DatasetRow): Dataset {
  const d: Dataset = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    name: row.name,
    schemaId: row.schemaId,
    tags: (row.tags as CatalogTags | null) ?? {},
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.description !== null) d.description = row.description;
  if (row.schemaContentType !== null) d.schemaContentType = row.schemaContentType;
  if (row.fileDescription !== null) d.fileDescription = row.fileDescription as FileDescription;
  if (row.observableSchema !== null) d.observableSchema = row.observableSchema as Record<string, unknown>;
  if (row.enableErrorDiagnostics !== null) d.enableErrorDiagnostics = row.enableErrorDiagnostics;
  if (row.basePath !== null) d.basePath = row.basePath;
  if (row.dataSourceId !== null) d.dataSourceId = Number(row.dataSourceId);
  if (row.createdClient !== null) d.createdClient = row.createdClient;
  if (row.createdUser !== null) d.createdUser = row.createdUser;
  if (row.updatedUser !== null) d.updatedUser = row.updatedUser;
  return d;
}

/** Every writable column, absent fields as NULL: PUT and PATCH write the whole set they computed. */
function columns(fields: DatasetFields) {
  const json = (v: unknown) => (v === undefined ? Prisma.DbNull : (v as Prisma.InputJsonValue));
  return {
    name: fields.name,
    description: fields.description ?? null,
    schemaId: fields.schemaId,
    schemaContentType: fields.schemaContentType ?? null,
    tags: (fields.tags ?? {}) as Prisma.InputJsonValue,
    fileDescription: json(fields.fileDescription),
    observableSchema: json(fields.observableSchema),
    enableErrorDiagnostics: fields.enableErrorDiagnostics ?? null,
    basePath: fields.basePath ?? null,
    dataSourceId: fields.dataSourceId === undefined ? null : BigInt(fields.dataSourceId),
  };
}

/** Statuses of a batch that a worker is writing into the profile store right now. */
const IN_FLIGHT_BATCH = ['staging', 'processing'];

/** Datasets of one tenant. */
@Injectable()
export class DatasetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(scope: TenantScope & { clientId?: string }, input: DatasetFields): Promise<Dataset> {
    return withStoreErrors(async () => {
      const row = await this.prisma.dataset.create({
        data: {
          id: newDatasetId(),
          ...tenantWhere(scope),
          ...columns(input),
          createdClient: scope.clientId ?? null,
          createdUser: scope.clientId ?? null,
          updatedUser: scope.clientId ?? null,
        },
      });
      return toDataset(row);
    });
  }

  async findById(scope: TenantScope, id: string): Promise<Dataset | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.dataset.findFirst({ where: { id, ...tenantWhere(scope) } });
      return row && toDataset(row);
    });
  }

  /**
   * Rewrites a dataset with what `change` computes from its current state, the row locked
   * meanwhile (two PATCHes of different fields both land). Null when there is no such dataset.
   */
  async update(scope: TenantScope & { clientId?: string }, id: string, change: (current: Dataset) => Promise<DatasetFields>): Promise<Dataset | null> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT id FROM datasets WHERE id = ${id} AND ${tenantSql(scope)} FOR UPDATE`;
        if (!locked.length) return null;
        const current = toDataset(await tx.dataset.findUniqueOrThrow({ where: { id } }));
        const fields = await change(current);
        const row = await tx.dataset.update({
          where: { id },
          data: { ...columns(fields), updatedAt: new Date(), updatedUser: scope.clientId ?? current.updatedUser ?? null },
        });
        return toDataset(row);
      }),
    );
  }

  /**
   * Deletes a dataset with its batches, their files' rows and the profile fragments and events
   * ingested through it (AEP removes a deleted dataset's data from the profile store too).
   * Refused (Conflict) while a worker is promoting one of its batches or an export job is
   * writing into it: deleting under them would leave rows of a dataset that no longer exists.
   * False when there is no such dataset. The caller removes the files from storage.
   */
  async remove(scope: TenantScope, id: string): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(
        async (tx) => {
          const locked = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT id FROM datasets WHERE id = ${id} AND ${tenantSql(scope)} FOR UPDATE`;
          if (!locked.length) return false;
          // Locking the batches makes a concurrent COMPLETE wait for this answer (then find nothing).
          const batches = await tx.$queryRaw<Array<{ id: string; status: string }>>`
          SELECT id, status::text AS status FROM batches WHERE dataset_id = ${id} FOR UPDATE`;
          const busy = batches.find((b) => IN_FLIGHT_BATCH.includes(b.status));
          if (busy) throw new Conflict(`Dataset ${id} has batch ${busy.id} being processed (${busy.status}); delete it once the batch has ended.`);
          const exports = await tx.$queryRaw<Array<{ id: number }>>`
          SELECT id FROM export_jobs WHERE ${tenantSql(scope)} AND deleted_at IS NULL
            AND status IN ('NEW', 'PROCESSING') AND destination->>'datasetId' = ${id} LIMIT 1`;
          if (exports.length) throw new Conflict(`Export job ${exports[0].id} is writing into dataset ${id}; delete it once the job has ended or been cancelled.`);
          await tx.$executeRaw`DELETE FROM profile_fragments WHERE batch_id IN (SELECT id FROM batches WHERE dataset_id = ${id})`;
          await tx.$executeRaw`DELETE FROM experience_events WHERE batch_id IN (SELECT id FROM batches WHERE dataset_id = ${id})`;
          // Batches, their files' rows and promotion markers go with it (ON DELETE CASCADE).
          await tx.$executeRaw`DELETE FROM datasets WHERE id = ${id}`;
          return true;
        },
        { timeout: 120_000 },
      ),
    );
  }

  /** One page of the tenant's datasets matching every condition (filters, order and paging run in SQL). */
  async list(scope: TenantScope, query: CatalogListQuery): Promise<Dataset[]> {
    return withStoreErrors(async () => {
      const ids = (await this.prisma.$queryRaw<Array<{ id: string }>>(listIdsSql('datasets', DATASET_FIELDS, scope, query))).map((r) => r.id);
      if (!ids.length) return [];
      const rows = await this.prisma.dataset.findMany({ where: { id: { in: ids }, ...tenantWhere(scope) } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => (byId.has(id) ? [toDataset(byId.get(id)!)] : []));
    }, refuseBadRegex);
  }
}
