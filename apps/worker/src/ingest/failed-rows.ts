import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { BatchError, FailedRowsFile } from '@sx/domain';
import type { DatasetStorage, StoredObject } from '@sx/storage';

/** The name Data Access /failed lists the refused rows of input file `name` under. */
export const failedRowsName = (name: string) => `${name}.failed.jsonl`;

/** Where the refused records of a tolerant batch go (see produceBatchRows). */
export interface FailedRowsSink {
  /** One refused record: its error, and its text when the reader had it (not for one too large, too deep, not UTF-8). */
  write(error: BatchError & { file: string }, text?: string): Promise<void>;
  /** The files written, once all are stored. */
  close(): Promise<FailedRowsFile[]>;
  /** Drops what is open (the promotion failed); what was stored is overwritten by the next attempt. */
  abort(): Promise<void>;
}

interface OpenFile {
  name: string;
  key: string;
  body: PassThrough;
  stored: Promise<StoredObject>;
}

/**
 * The refused rows of a batch, streamed into dataset storage as JSON Lines, one file per input
 * file that has any: `{"file", "line", "code", "description", "record"?}` where `record` is the
 * refused text as a JSON string. Input files are read one after the other, so at most one file
 * is open, and a write waits for the storage to drain: memory holds a record or two, however many fail.
 */
export class StoredFailedRows implements FailedRowsSink {
  private open?: OpenFile;
  private readonly done: FailedRowsFile[] = [];

  constructor(
    private readonly storage: DatasetStorage,
    private readonly keyOf: (name: string) => string,
  ) {}

  async write(error: BatchError & { file: string }, text?: string): Promise<void> {
    const name = failedRowsName(error.file);
    if (this.open?.name !== name) {
      await this.finish();
      const body = new PassThrough();
      body.on('error', () => undefined); // an abort's; the storage may not be piping from it yet
      const key = this.keyOf(name);
      const stored = this.storage.write(key, body);
      stored.catch(() => undefined); // awaited in finish(); a failure must not be unhandled meanwhile
      this.open = { name, key, body, stored };
    }
    const line = JSON.stringify(text === undefined ? error : { ...error, record: text }) + '\n';
    if (!this.open.body.write(line)) await Promise.race([once(this.open.body, 'drain'), this.open.stored]);
  }

  async close(): Promise<FailedRowsFile[]> {
    await this.finish();
    return this.done;
  }

  async abort(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (!open) return;
    open.body.destroy(new Error('promotion failed'));
    await open.stored.catch(() => undefined);
  }

  private async finish(): Promise<void> {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    open.body.end();
    const { sizeBytes } = await open.stored;
    this.done.push({ name: open.name, storageKey: open.key, sizeBytes });
  }
}
