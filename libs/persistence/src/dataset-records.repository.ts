import { Injectable } from '@nestjs/common';
import { DatasetKind, TenantScope } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql } from './tenant-scope';

/** The stored records of a dataset (only successful batches have any), for Data Access's preview. */
@Injectable()
export class DatasetRecordsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The first `limit` records in ingestion order, as their JSON text (key order kept). */
  async first(scope: TenantScope, datasetId: string, kind: DatasetKind, limit: number): Promise<string[]> {
    return withStoreErrors(async () => {
      const rows =
        kind === 'profile'
          ? await this.prisma.$queryRaw<Array<{ record: string }>>`
              SELECT record::text AS record FROM profile_fragments
               WHERE ${tenantSql(scope)} AND dataset_id = ${datasetId} ORDER BY id LIMIT ${limit}`
          : await this.prisma.$queryRaw<Array<{ record: string }>>`
              SELECT record::text AS record FROM experience_events
               WHERE ${tenantSql(scope)} AND dataset_id = ${datasetId} ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => r.record);
    });
  }
}
