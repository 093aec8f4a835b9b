import { Injectable } from '@nestjs/common';
import { Batch, BatchError, BatchFile, Caller, EXPORT_MANIFEST_NAME, FailedRowsFile, NotFound, ValidationFailed, resolveSchema } from '@sx/domain';
import { BatchRepository, DatasetRecordsRepository, DatasetRepository } from '@sx/persistence';
import { DATA_ACCESS_PATH } from '../common/paths';

/** Data Access pages: `start` / `limit`, default and maximum 100 (a larger limit is capped, as AEP does). */
export const PAGE_SIZE = 100;
/** AEP's dataset preview: the first 100 rows. */
export const PREVIEW_ROWS = 100;

export interface Page {
  start: number;
  limit: number;
}

/** An entry of a `/failed`, `/meta` or single-file listing. */
export interface ListedItem {
  name: string;
  length: string;
  _links: { self: { href: string } };
}

/** What `/meta?path=` names: a listing, a generated text, or a stored input file. */
export type MetaItem = { kind: 'listing'; items: ListedItem[] } | { kind: 'text'; name: string; text: string; contentType: string } | { kind: 'file'; file: BatchFile };

const ROW_ERRORS = 'row_errors';
const INPUT_FILES = 'input_files';
const SAMPLE = 'row_errors_sample.json';

/** Query text to a page; a bad start or limit is a 400 naming it. */
export function pageOf(start: unknown, limit: unknown): Page {
  const whole = (v: unknown, name: string, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min) {
      throw new ValidationFailed([{ path: name, message: `must be a whole number of at least ${min}` }]);
    }
    return Number(v);
  };
  return { start: whole(start, 'start', 0) ?? 0, limit: Math.min(whole(limit, 'limit', 1) ?? PAGE_SIZE, PAGE_SIZE) };
}

/**
 * AEP Data Access reads: the files of a successful batch, what a failed batch was sent, the batch's
 * meta directory (input files and row errors), and a dataset's first rows. All tenant-scoped:
 * another tenant's batch or dataset is a 404.
 */
@Injectable()
export class DataAccessService {
  constructor(
    private readonly batches: BatchRepository,
    private readonly datasets: DatasetRepository,
    private readonly records: DatasetRecordsRepository,
  ) {}

  async batch(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    if (!batch) throw new NotFound(`Batch ${batchId} does not exist.`);
    return batch;
  }

  /** The files of a successful batch (batches commit atomically: none of any other status). */
  /** The batch's files; an export batch's manifest only when asked (`withManifest`, not in AEP). */
  async batchFiles(caller: Caller, batchId: string, page: Page, withManifest = false): Promise<{ files: BatchFile[]; total: number; batch: Batch }> {
    const batch = await this.batch(caller, batchId);
    const all = batch.status === 'success' ? (await this.batches.files(caller, batchId)).filter((f) => withManifest || f.name !== EXPORT_MANIFEST_NAME) : [];
    return { batch, files: all.slice(page.start, page.start + page.limit), total: all.length };
  }

  /** The manifest of a successful export batch; NotFound for a batch without one (an ingested batch, an export from before manifests). */
  async manifest(caller: Caller, batchId: string): Promise<BatchFile> {
    const batch = await this.batch(caller, batchId);
    const file = batch.status === 'success' ? (await this.batches.files(caller, batchId)).find((f) => f.name === EXPORT_MANIFEST_NAME) : undefined;
    if (!file) throw new NotFound(`Batch ${batchId} has no ${EXPORT_MANIFEST_NAME}: only successful export batches have one.`);
    return file;
  }

  /**
   * What failed of a batch: all its files when it failed as a whole (none of their records was
   * ingested); the files of its refused rows when it was partially ingested (success within its
   * partialIngestionPercentage); nothing otherwise.
   */
  async failedFiles(caller: Caller, batchId: string): Promise<Array<BatchFile | FailedRowsFile>> {
    const batch = await this.batch(caller, batchId);
    if (batch.status === 'failed') return this.batches.files(caller, batchId);
    return batch.status === 'success' ? (batch.failedFiles ?? []) : [];
  }

  async failedFile(caller: Caller, batchId: string, path: unknown): Promise<BatchFile | FailedRowsFile> {
    const file = (await this.failedFiles(caller, batchId)).find((f) => f.name === path);
    if (!file) throw new NotFound(`Batch ${batchId} has no failed file named "${String(path)}".`);
    return file;
  }

  /**
   * The meta directory: `input_files/` (the files as uploaded), `row_errors/` (the refused records
   * of each file, as JSON Lines) and `row_errors_sample.json` (the errors the batch lists, at most 100).
   */
  async meta(caller: Caller, batchId: string, path: unknown): Promise<MetaItem> {
    const batch = await this.batch(caller, batchId);
    const href = (p: string) => `${DATA_ACCESS_PATH}/batches/${batchId}/meta?path=${encodeURIComponent(p)}`;
    const item = (name: string, length: number): ListedItem => ({ name, length: String(length), _links: { self: { href: href(name) } } });
    const sample = JSON.stringify(batch.errors);
    const byFile = groupByFile(batch.errors);
    if (path === undefined) return { kind: 'listing', items: [item(ROW_ERRORS, 0), item(INPUT_FILES, 0), item(SAMPLE, Buffer.byteLength(sample))] };
    if (typeof path !== 'string') throw this.noMeta(batchId, path);
    if (path === SAMPLE) return { kind: 'text', name: SAMPLE, text: sample, contentType: 'application/json' };
    if (path === ROW_ERRORS) return { kind: 'listing', items: [...byFile].map(([name, text]) => item(`${ROW_ERRORS}/${name}`, Buffer.byteLength(text))) };
    if (path.startsWith(`${ROW_ERRORS}/`) && byFile.has(path.slice(ROW_ERRORS.length + 1))) {
      return { kind: 'text', name: path, text: byFile.get(path.slice(ROW_ERRORS.length + 1))!, contentType: 'application/x-ndjson' };
    }
    if (path === INPUT_FILES) {
      const files = await this.batches.files(caller, batchId);
      return { kind: 'listing', items: files.map((f) => item(`${INPUT_FILES}/${f.name}`, f.sizeBytes)) };
    }
    if (path.startsWith(`${INPUT_FILES}/`)) {
      const file = await this.batches.fileByName(caller, batchId, path.slice(INPUT_FILES.length + 1));
      if (file) return { kind: 'file', file };
    }
    throw this.noMeta(batchId, path);
  }

  /** A dataset's first rows, as stored (JSON text, key order kept); none for a dataset of exported files. */
  async preview(caller: Caller, datasetId: string): Promise<string[]> {
    const dataset = await this.datasets.findById(caller, datasetId);
    if (!dataset) throw new NotFound(`Dataset ${datasetId} does not exist.`);
    const kind = resolveSchema(dataset.schemaId)?.kind;
    return kind ? this.records.first(caller, datasetId, kind, PREVIEW_ROWS) : [];
  }

  private noMeta(batchId: string, path: unknown): NotFound {
    return new NotFound(`The meta directory of batch ${batchId} has no "${String(path)}".`);
  }
}

/** The batch's row errors per file, as JSON Lines (errors of the batch as a whole have no file: only in the sample). */
function groupByFile(errors: BatchError[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of errors) if (e.file !== undefined) out.set(e.file, (out.get(e.file) ?? '') + JSON.stringify(e) + '\n');
  return out;
}
