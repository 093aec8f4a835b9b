import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { BatchFile, Caller, NotFound, ValidationFailed } from '@sx/domain';
import { PreviewTable, RecordLimits, previewTable } from '@sx/ingest';
import { BatchRepository, DatasetRepository } from '@sx/persistence';
import { DatasetStorage, StorageObjectMissing } from '@sx/storage';
import { BatchPreviewQuery, PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_ROWS } from './dto/batch-preview.query';

/** At most this much of the batch's files is read for one preview, all files together (raw bytes, before gunzip). */
export const PREVIEW_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** At most this much JSON text of records is answered (the first row always is). */
export const PREVIEW_MAX_ROW_BYTES = 16 * 1024 * 1024;
/** At most this much is decompressed from one gzip file. */
const PREVIEW_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface BatchPreview {
  formatParams: Record<string, unknown>;
  preview: PreviewTable;
}

/**
 * AEP's import preview: the first records of the files uploaded to a batch (loading or later),
 * read with ingestion's streamed reader and bounded in rows, bytes read and bytes answered.
 */
@Injectable()
export class BatchPreviewService {
  private readonly limits: RecordLimits;

  constructor(
    config: AppConfig,
    private readonly batches: BatchRepository,
    private readonly datasets: DatasetRepository,
    private readonly storage: DatasetStorage,
  ) {
    this.limits = {
      maxRecordBytes: config.INGEST_MAX_RECORD_BYTES,
      maxRecordDepth: config.INGEST_MAX_RECORD_DEPTH,
      maxDecompressedBytes: Math.min(config.INGEST_MAX_DECOMPRESSED_BYTES, PREVIEW_MAX_DECOMPRESSED_BYTES),
      maxGzipRatio: config.INGEST_MAX_GZIP_RATIO,
    };
  }

  async preview(caller: Caller, batchId: string, datasetId: string, query: BatchPreviewQuery): Promise<BatchPreview> {
    if (query.format !== 'json') {
      throw new ValidationFailed([
        { path: 'format', message: `${query.format} is not supported by this service: only json files are ingested (JSON Lines or a JSON array, gzip accepted)` },
      ]);
    }
    const batch = await this.batches.findById(caller, batchId);
    if (!batch || batch.origin === 'export') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (!(await this.datasets.findById(caller, datasetId))) throw new NotFound(`Dataset ${datasetId} does not exist.`);
    if (batch.datasetId !== datasetId) throw new NotFound(`Batch ${batchId} is not a batch of dataset ${datasetId}.`);
    const rows = Math.min(query.nrow || PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_ROWS);
    const files = await this.batches.files(caller, batchId);
    const preview = await previewTable(this.sources(files), { rows, bytes: PREVIEW_MAX_ROW_BYTES }, this.limits);
    return { formatParams: { format: 'json', isMultiLineJson: query.isMultiLineJson ?? false, charset: 'UTF-8', nrow: rows }, preview };
  }

  /** The files in name order, each opened on no more than what is left of the read budget. */
  private sources(files: BatchFile[]) {
    let left = PREVIEW_MAX_INPUT_BYTES;
    return files.map((f) => ({
      name: f.name,
      open: async (): Promise<Readable> => {
        const take = Math.min(f.sizeBytes, left);
        left -= take;
        if (!take) return Readable.from([]);
        // A file gone from storage (its dataset being deleted) previews as empty.
        return this.storage.read(f.storageKey, { start: 0, end: take - 1 }).catch((e: unknown) => {
          if (e instanceof StorageObjectMissing) return Readable.from([]);
          throw e;
        });
      },
    }));
  }
}
