import { Injectable } from '@nestjs/common';
import { Dataset, TenantScope, newDatasetId } from '@sx/domain';
import type { Dataset as DatasetRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { translateStoreError } from './store-errors';

function toDataset(row: DatasetRow): Dataset {
  const d: Dataset = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    name: row.name,
    schemaId: row.schemaId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.description !== null) d.description = row.description;
  return d;
}

/** Datasets of one tenant. */
@Injectable()
export class DatasetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(scope: TenantScope, input: { name: string; description?: string; schemaId: string }): Promise<Dataset> {
    try {
      const row = await this.prisma.dataset.create({
        data: { id: newDatasetId(), orgId: scope.orgId, sandboxName: scope.sandboxName, ...input },
      });
      return toDataset(row);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  async findById(scope: TenantScope, id: string): Promise<Dataset | null> {
    try {
      const row = await this.prisma.dataset.findFirst({ where: { id, orgId: scope.orgId, sandboxName: scope.sandboxName } });
      return row && toDataset(row);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** Newest first, offset paging as the Catalog API does (`start`, `limit`). */
  async list(scope: TenantScope, page: { start: number; limit: number }): Promise<Dataset[]> {
    try {
      const rows = await this.prisma.dataset.findMany({
        where: { orgId: scope.orgId, sandboxName: scope.sandboxName },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: page.start,
        take: page.limit,
      });
      return rows.map(toDataset);
    } catch (e) {
      return translateStoreError(e);
    }
  }
}
