import { Injectable } from '@nestjs/common';
import { Batch, BatchError, BatchFile, NewImportBatch, TenantScope, newBatchId, newDatasetFileId } from '@sx/domain';
import { BATCH_FIELDS, CatalogListQuery, listIdsSql, refuseBadRegex } from './catalog-filter';
import { Prisma } from './generated/prisma/client';
import { toBatch, toBatchFile } from './batch.mapper';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

/** Batches of one tenant and their files. */
@Injectable()
export class BatchRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(scope: TenantScope, input: { datasetId: string; inputFormat: string; origin?: 'ingest' | 'export'; exportJobId?: number }): Promise<Batch> {
    return withStoreErrors(async () => {
      const row = await this.prisma.batch.create({
        data: { id: newBatchId(), ...tenantWhere(scope), origin: 'ingest', ...input },
      });
      return toBatch(row);
    });
  }

  /** A client's batch (origin ingest), with the documented fields of its POST. */
  async createImport(scope: TenantScope, input: NewImportBatch): Promise<Batch> {
    return withStoreErrors(async () => {
      const data: Prisma.BatchUncheckedCreateInput = {
        id: newBatchId(),
        ...tenantWhere(scope),
        origin: 'ingest',
        datasetId: input.datasetId,
        inputFormat: String(input.inputFormatOptions.format),
        inputFormatOptions: input.inputFormatOptions as Prisma.InputJsonValue,
      };
      if (input.tags) data.tags = input.tags;
      if (input.externalId !== undefined) data.externalId = input.externalId;
      if (input.replay) data.replay = input.replay as Prisma.InputJsonValue;
      if (input.partialIngestionPercent !== undefined) data.partialIngestionPercent = input.partialIngestionPercent;
      return toBatch(await this.prisma.batch.create({ data }));
    });
  }

  async findById(scope: TenantScope, id: string): Promise<Batch | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.batch.findFirst({ where: { id, ...tenantWhere(scope) } });
      return row && toBatch(row);
    });
  }

  /** One page of the tenant's batches matching every Catalog condition (filters, order and paging run in SQL). */
  async list(scope: TenantScope, query: CatalogListQuery): Promise<Batch[]> {
    return withStoreErrors(async () => {
      const ids = (await this.prisma.$queryRaw<Array<{ id: string }>>(listIdsSql('batches', BATCH_FIELDS, scope, query))).map((r) => r.id);
      if (!ids.length) return [];
      const rows = await this.prisma.batch.findMany({ where: { id: { in: ids }, ...tenantWhere(scope) } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => (byId.has(id) ? [toBatch(byId.get(id)!)] : []));
    }, refuseBadRegex);
  }

  /**
   * Records a stored file of a loading batch (a second upload of the same name replaces it).
   * Answers undefined when the batch is not (or no longer) loading: nothing is recorded then.
   */
  async putFile(
    scope: TenantScope,
    batchId: string,
    file: { name: string; storageKey: string; sizeBytes: number; sha256: string; records?: number },
  ): Promise<{ file: BatchFile; created: boolean } | undefined> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT id FROM batches WHERE id = ${batchId} AND ${tenantSql(scope)}
          AND status = 'loading' FOR UPDATE`;
        if (!locked.length) return undefined;
        // The batch row is locked: no other upload of this batch runs between this read and the upsert.
        const existed = await tx.batchFile.findUnique({ where: { batchId_name: { batchId, name: file.name } }, select: { id: true } });
        const row = await tx.batchFile.upsert({
          where: { batchId_name: { batchId, name: file.name } },
          create: { id: newDatasetFileId(batchId), batchId, ...file, sizeBytes: BigInt(file.sizeBytes) },
          update: { storageKey: file.storageKey, sizeBytes: BigInt(file.sizeBytes), sha256: file.sha256, records: file.records ?? null },
        });
        await tx.batch.update({ where: { id: batchId }, data: { updatedAt: new Date() } });
        return { file: toBatchFile(row), created: !existed };
      }),
    );
  }

  /** Files of a batch of the tenant, by name. */
  async files(scope: TenantScope, batchId: string): Promise<BatchFile[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.batchFile.findMany({
        where: { batchId, batch: tenantWhere(scope) },
        orderBy: { name: 'asc' },
      });
      return rows.map(toBatchFile);
    });
  }

  /** A file of the tenant whose batch succeeded: the only files Data Access shows. */
  async visibleFile(scope: TenantScope, fileId: string): Promise<BatchFile | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.batchFile.findFirst({ where: { id: fileId, batch: { ...tenantWhere(scope), status: 'success' } } });
      return row && toBatchFile(row);
    });
  }

  /** A file of the tenant's batch by name, whatever the batch's status (meta and failed listings). */
  async fileByName(scope: TenantScope, batchId: string, name: string): Promise<BatchFile | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.batchFile.findFirst({ where: { batchId, name, batch: tenantWhere(scope) } });
      return row && toBatchFile(row);
    });
  }

  /** loading → failed (the client's FAIL), with why; false when the batch is not loading. */
  async failLoading(scope: TenantScope, batchId: string, errors: BatchError[]): Promise<boolean> {
    return withStoreErrors(async () => {
      const { count } = await this.prisma.batch.updateMany({
        where: { id: batchId, ...tenantWhere(scope), origin: 'ingest', status: 'loading' },
        data: { status: 'failed', errors: errors as unknown as Prisma.InputJsonValue, updatedAt: new Date(), completedAt: new Date() },
      });
      return count === 1;
    });
  }

  /** loading → aborted; false when the batch is not loading. */
  async abort(scope: TenantScope, batchId: string): Promise<boolean> {
    return withStoreErrors(async () => {
      const { count } = await this.prisma.batch.updateMany({
        where: { id: batchId, ...tenantWhere(scope), status: 'loading' },
        data: { status: 'aborted', updatedAt: new Date(), completedAt: new Date() },
      });
      return count === 1;
    });
  }
}
