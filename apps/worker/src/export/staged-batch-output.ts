import { PassThrough } from 'node:stream';
import type { CommittedFile } from '@sx/persistence';
import { DatasetStorage, StoredObject } from '@sx/storage';
import { ExportRow, FILE_EXTENSION, OutputFormat, RowFileWriter, createRowFileWriter } from './writers/row-writer';

interface OpenFile {
  name: string;
  writer: RowFileWriter;
  stored: Promise<StoredObject>;
  rows: number;
}

/**
 * The files of one output batch while an export runs: written under `_staging/` in the batch's
 * folder, split every `fileRows` rows, and moved to their final names only by `commit()` (after
 * which the job's transaction makes them visible). `abort()` leaves nothing behind.
 */
export class StagedBatchOutput {
  private current?: OpenFile;
  private readonly staged: Array<Omit<CommittedFile, 'storageKey'> & { stagingKey: string }> = [];
  private rows = 0;

  constructor(
    private readonly storage: DatasetStorage,
    private readonly prefix: string,
    private readonly format: OutputFormat,
    private readonly fileRows: number,
    private readonly rowGroupRows?: number,
  ) {}

  get records(): number {
    return this.rows;
  }

  private stagingKey(name: string): string {
    return `${this.prefix}/_staging/${name}`;
  }

  private open(): OpenFile {
    const name = `part-${String(this.staged.length).padStart(5, '0')}${FILE_EXTENSION[this.format]}`;
    const pipe = new PassThrough({ highWaterMark: 1 << 20 });
    // abort() destroys the pipe with an error. The storage may not be reading it yet (local
    // storage first creates the folder), and an 'error' nobody listens to kills the worker, which
    // leaves the job PROCESSING with no one to end it. The failure still reaches us: `stored`
    // rejects once the storage reads the destroyed pipe.
    pipe.on('error', () => undefined);
    const stored = this.storage.write(this.stagingKey(name), pipe);
    // A storage failure surfaces through `stored`; keep the writer from throwing unhandled meanwhile.
    stored.catch(() => undefined);
    return {
      name,
      writer: createRowFileWriter(
        this.format,
        pipe,
        this.rowGroupRows ? { rowGroupRows: this.rowGroupRows, rowGroupBytes: Math.max(2 << 20, this.rowGroupRows * 2048) } : undefined,
      ),
      stored,
      rows: 0,
    };
  }

  write(row: ExportRow): void | Promise<void> {
    this.current ??= this.open();
    this.current.rows++;
    this.rows++;
    const pending = this.current.writer.write(row);
    if (this.current.rows >= this.fileRows) return Promise.resolve(pending).then(() => this.closeCurrent());
    return pending;
  }

  private async closeCurrent(): Promise<void> {
    const file = this.current;
    if (!file) return;
    this.current = undefined;
    await file.writer.close();
    const stored = await file.stored;
    this.staged.push({ name: file.name, stagingKey: this.stagingKey(file.name), sizeBytes: stored.sizeBytes, sha256: stored.sha256, records: file.rows });
  }

  /** Closes the last file: everything is staged. */
  async finish(): Promise<void> {
    await this.closeCurrent();
  }

  /** Moves the staged files to their final keys; the caller's transaction then makes them visible. */
  async commit(): Promise<CommittedFile[]> {
    const files: CommittedFile[] = [];
    for (const f of this.staged) {
      const storageKey = `${this.prefix}/${f.name}`;
      await this.storage.rename(f.stagingKey, storageKey);
      files.push({ name: f.name, storageKey, sizeBytes: f.sizeBytes, sha256: f.sha256, records: f.records });
    }
    return files;
  }

  async abort(): Promise<void> {
    if (this.current) {
      this.current.writer.abort(new Error('export stopped'));
      await this.current.stored.catch(() => undefined);
      this.current = undefined;
    }
    await this.storage.removePrefix(this.prefix);
  }
}
