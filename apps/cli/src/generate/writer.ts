import { open, FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Records per file before the writer starts the next one. */
export const RECORDS_PER_FILE = 250_000;
/** Size of each of a writer's two buffers: lines are written in chunks of up to this size. */
const CHUNK_BYTES = 4 * 1024 * 1024;

export interface WrittenFile {
  name: string;
  records: number;
  bytes: number;
}

/**
 * Writes JSON Lines into `<prefix>-0001.jsonl`, `<prefix>-0002.jsonl`, … with at most
 * `recordsPerFile` lines each.
 *
 * Lines are encoded straight into one of two fixed buffers (so the strings they were built from die
 * young, which keeps the garbage collector cheap); a full buffer is handed to the file system and
 * the next lines go into the other one. Before a buffer is reused its previous write must have
 * finished: that wait is the backpressure, and memory stays at two buffers per writer however
 * large the run.
 */
export class JsonlFileWriter {
  private handle: FileHandle | null = null;
  private readonly buffers: [Buffer, Buffer];
  private active = 0;
  private used = 0;
  private pending: Promise<void> = Promise.resolve();
  private current: WrittenFile | null = null;
  private readonly done: WrittenFile[] = [];
  private total = 0;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly recordsPerFile = RECORDS_PER_FILE,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  }

  get records(): number {
    return this.total;
  }

  /**
   * Adds one line (without its newline). Returns a promise only when the caller must wait (a file
   * is opened or a full buffer must wait for the previous write); `undefined` otherwise, so that the
   * hot path allocates no promise.
   */
  add(line: string): Promise<void> | undefined {
    const file = this.current;
    if (!file || file.records === this.recordsPerFile) return this.nextFile().then(() => this.add(line));
    // A UTF-16 unit takes at most 3 bytes in UTF-8, plus the newline.
    const worst = line.length * 3 + 1;
    const buffer = this.buffers[this.active];
    if (this.used + worst > buffer.length) {
      if (this.used === 0) {
        // A line larger than a buffer (not made by this generator): write it on its own.
        file.records++;
        this.total++;
        return this.flush().then(() => this.writeChunk(Buffer.from(line + '\n', 'utf8')));
      }
      return this.flush().then(() => this.add(line));
    }
    this.used += buffer.write(line, this.used, 'utf8');
    buffer[this.used++] = 0x0a;
    file.records++;
    this.total++;
    return undefined;
  }

  /** Finishes the last file; returns every file written. */
  async close(): Promise<WrittenFile[]> {
    if (this.current) await this.finishFile();
    return this.done;
  }

  private async nextFile(): Promise<void> {
    if (this.current) await this.finishFile();
    const name = `${this.prefix}-${String(this.done.length + 1).padStart(4, '0')}.jsonl`;
    this.handle = await open(join(this.dir, name), 'w');
    this.current = { name, records: 0, bytes: 0 };
  }

  private async finishFile(): Promise<void> {
    await this.flush();
    await this.pending;
    await this.handle!.close();
    this.done.push(this.current!);
    this.handle = null;
    this.current = null;
  }

  /** Hands the active buffer to the file system and switches to the other one once it is free. */
  private async flush(): Promise<void> {
    if (!this.used) return;
    const chunk = this.buffers[this.active].subarray(0, this.used);
    await this.writeChunk(chunk);
    this.active ^= 1;
    this.used = 0;
  }

  /** Waits for the write in flight (the other buffer), then starts writing `chunk`. */
  private async writeChunk(chunk: Buffer): Promise<void> {
    await this.pending;
    this.current!.bytes += chunk.length;
    this.pending = writeAll(this.handle!, chunk);
    // A failed write is reported by the next `await this.pending` (never as an unhandled rejection).
    this.pending.catch(() => undefined);
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length;) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}
