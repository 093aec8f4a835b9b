import { PassThrough } from 'node:stream';
import type { CommittedFile, StagedFile } from '@sx/persistence';
import { DatasetStorage, StoredObject } from '@sx/storage';
import { type BatchManifest, stageManifest } from './batch-manifest';
import { emptyCounts } from './segment-counts';
import { ExportRow, FILE_EXTENSION, OutputFormat, RowFileWriter, RowFileWriterOptions, createRowFileWriter } from './writers/row-writer';

/** Where one writer stages its files; a partition stages apart from the others (`p<k>`). */
export interface StagingLayout {
  /** Folder under `_staging/` of the batch ('' for a job written in one piece). */
  folder: string;
  /** Prefix of the file names: `part-` or, for partition k, `part-<k>-`. */
  namePrefix: string;
}

const WHOLE_JOB: StagingLayout = { folder: '', namePrefix: 'part-' };

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
  private readonly staged: StagedFile[] = [];
  private rows = 0;
  private readonly namespaces = emptyCounts();

  constructor(
    private readonly storage: DatasetStorage,
    private readonly prefix: string,
    private readonly format: OutputFormat,
    private readonly fileRows: number,
    private readonly rowGroupRows?: number,
    private readonly layout: StagingLayout = WHOLE_JOB,
    /** What the format needs besides rows (CSV: its columns). */
    private readonly writerOptions: RowFileWriterOptions = {},
  ) {}

  get records(): number {
    return this.rows;
  }

  /** Rows written per primary namespace (for the batch's manifest). */
  get byNamespace(): Record<string, number> {
    return { ...this.namespaces };
  }

  private get stagingFolder(): string {
    return this.layout.folder ? `${this.prefix}/_staging/${this.layout.folder}` : `${this.prefix}/_staging`;
  }

  private stagingKey(name: string): string {
    return `${this.stagingFolder}/${name}`;
  }

  /** The files staged so far (all of them after finish()): what a partition hands to the commit. */
  get stagedFiles(): readonly StagedFile[] {
    return this.staged;
  }

  private open(): OpenFile {
    const name = `${this.layout.namePrefix}${String(this.staged.length).padStart(5, '0')}${FILE_EXTENSION[this.format]}`;
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
        this.rowGroupRows ? { ...this.writerOptions, rowGroupRows: this.rowGroupRows, rowGroupBytes: Math.max(2 << 20, this.rowGroupRows * 2048) } : this.writerOptions,
      ),
      stored,
      rows: 0,
    };
  }

  write(row: ExportRow): void | Promise<void> {
    this.current ??= this.open();
    this.current.rows++;
    this.rows++;
    this.namespaces[row.primaryNamespace] = (this.namespaces[row.primaryNamespace] ?? 0) + 1;
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

  /**
   * Stages the batch's manifest, then moves it and the staged files to their final keys; the
   * caller's transaction then makes them visible together.
   */
  async commit(manifest: BatchManifest): Promise<CommittedFile[]> {
    return commitStagedFiles(this.storage, this.prefix, [...this.staged, await stageManifest(this.storage, this.prefix, manifest)]);
  }

  /**
   * Stops writing and removes what it wrote: the batch's whole folder for a job written in one
   * piece, only its own staging folder for a partition (the others' files stay).
   */
  async abort(): Promise<void> {
    if (this.current) {
      this.current.writer.abort(new Error('export stopped'));
      await this.current.stored.catch(() => undefined);
      this.current = undefined;
    }
    await this.storage.removePrefix(this.layout.folder ? this.stagingFolder : this.prefix);
  }
}

/**
 * Moves staged files to their final keys in the batch's folder. A file already moved (a commit
 * that died after some renames, run again) is taken as it is: its staged key is gone and its final
 * key holds its bytes.
 */
export async function commitStagedFiles(storage: DatasetStorage, prefix: string, staged: readonly StagedFile[]): Promise<CommittedFile[]> {
  const files: CommittedFile[] = [];
  for (const f of staged) {
    const storageKey = `${prefix}/${f.name}`;
    try {
      await storage.rename(f.stagingKey, storageKey);
    } catch (e) {
      const moved = (await storage.size(f.stagingKey)) === undefined && (await storage.size(storageKey)) === f.sizeBytes;
      if (!moved) throw e;
    }
    files.push({ name: f.name, storageKey, sizeBytes: f.sizeBytes, sha256: f.sha256, records: f.records });
  }
  return files;
}
