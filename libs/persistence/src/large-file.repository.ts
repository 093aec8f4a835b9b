import { Injectable } from '@nestjs/common';
import { TenantScope, newDatasetFileId } from '@sx/domain';
import type { Prisma } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

/** A received chunk of a large file: bytes start..end inclusive. */
export interface LargeFileChunk {
  start: number;
  end: number;
  /** The total size the chunk's Content-Range declared (`bytes a-b/total`), if any. */
  total?: number;
  storageKey: string;
}

export type LargeFileWrite = 'ok' | 'not-loading' | 'no-upload';

/**
 * Large files of loading batches, uploaded in chunks (AEP's INITIALIZE / PATCH / COMPLETE).
 * Every write locks the batch row and re-checks that it is still loading, so that no chunk or file
 * lands in a batch that COMPLETE, ABORT or FAIL has just ended.
 */
@Injectable()
export class LargeFileRepository {
  constructor(private readonly prisma: PrismaService) {}

  private async lockLoading(tx: Prisma.TransactionClient, scope: TenantScope, batchId: string): Promise<boolean> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM batches WHERE id = ${batchId} AND ${tenantSql(scope)}
         AND origin = 'ingest' AND status = 'loading' FOR UPDATE`;
    return rows.length === 1;
  }

  /** Starts (or, sent again, keeps) the upload of `name`; false when the batch is not loading. */
  async initialize(scope: TenantScope, batchId: string, name: string): Promise<boolean> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockLoading(tx, scope, batchId))) return false;
        await tx.largeFileUpload.upsert({ where: { batchId_name: { batchId, name } }, create: { batchId, name }, update: {} });
        return true;
      }),
    );
  }

  /** The chunks received so far, by start then end; undefined when `name` was never initialized (or is completed). */
  async chunks(scope: TenantScope, batchId: string, name: string): Promise<LargeFileChunk[] | undefined> {
    return withStoreErrors(async () => {
      const upload = await this.prisma.largeFileUpload.findFirst({
        where: { batchId, name, batch: tenantWhere(scope) },
        include: { chunks: { orderBy: [{ startByte: 'asc' }, { endByte: 'asc' }] } },
      });
      if (!upload) return undefined;
      return upload.chunks.map((c) => {
        const chunk: LargeFileChunk = { start: Number(c.startByte), end: Number(c.endByte), storageKey: c.storageKey };
        if (c.totalBytes !== null) chunk.total = Number(c.totalBytes);
        return chunk;
      });
    });
  }

  /** Records a stored chunk; the same range sent again replaces the earlier one (a retry). */
  async addChunk(scope: TenantScope, batchId: string, name: string, chunk: LargeFileChunk): Promise<LargeFileWrite> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockLoading(tx, scope, batchId))) return 'not-loading';
        const upload = await tx.largeFileUpload.findUnique({ where: { batchId_name: { batchId, name } } });
        if (!upload) return 'no-upload';
        const range = { batchId, name, startByte: BigInt(chunk.start), endByte: BigInt(chunk.end) };
        const fields = { storageKey: chunk.storageKey, totalBytes: chunk.total === undefined ? null : BigInt(chunk.total) };
        await tx.largeFileChunk.upsert({ where: { batchId_name_startByte_endByte: range }, create: { ...range, ...fields }, update: fields });
        return 'ok';
      }),
    );
  }

  /**
   * The upload's end: its assembled file becomes a file of the batch (replacing one of the same
   * name) and the upload with its chunk rows is removed, in one transaction.
   */
  async finish(scope: TenantScope, batchId: string, name: string, file: { storageKey: string; sizeBytes: number; sha256: string }): Promise<LargeFileWrite> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.lockLoading(tx, scope, batchId))) return 'not-loading';
        const { count } = await tx.largeFileUpload.deleteMany({ where: { batchId, name } });
        if (!count) return 'no-upload';
        const fields = { storageKey: file.storageKey, sizeBytes: BigInt(file.sizeBytes), sha256: file.sha256, records: null };
        await tx.batchFile.upsert({
          where: { batchId_name: { batchId, name } },
          create: { id: newDatasetFileId(batchId), batchId, name, ...fields },
          update: fields,
        });
        await tx.batch.update({ where: { id: batchId }, data: { updatedAt: new Date() } });
        return 'ok';
      }),
    );
  }
}
