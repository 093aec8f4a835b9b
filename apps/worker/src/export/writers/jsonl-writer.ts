import { OutputSink } from './output-stream';
import type { ExportRow, RowFileWriter } from './row-writer';

/** Lines are gathered into chunks of about this many bytes: one stream write per chunk, not per row. */
export const JSONL_CHUNK_BYTES = 256 * 1024;

/** UTF-8 needs at most 3 bytes per UTF-16 code unit, so a line of n units fits in 3n + 1 bytes. */
const MAX_UTF8_BYTES_PER_UNIT = 3;
const NEWLINE = 0x0a;
const NO_BYTES = new Uint8Array(0);

/**
 * JSON Lines: one `JSON.stringify(profile)` per line. Each line is encoded straight into the
 * current chunk (joining line strings and encoding the result was three times slower), and a
 * chunk goes to the output once the next line might not fit.
 */
export class JsonlRowWriter implements RowFileWriter {
  private readonly sink: OutputSink;
  private chunk = Buffer.allocUnsafe(JSONL_CHUNK_BYTES);
  private used = 0;
  private rows = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(out: NodeJS.WritableStream) {
    this.sink = new OutputSink(out);
  }

  /** Bytes held here and not yet handed to the output (for tests and metrics). */
  get bufferedBytes(): number {
    return this.used;
  }

  write(row: ExportRow): void | Promise<void> {
    this.assertOpen();
    if (row.profileParts) return this.writeParts(row.profileParts.head, row.profileParts.middle ?? NO_BYTES, row.profileParts.tail);
    const json: unknown = JSON.stringify(row.profile);
    if (typeof json !== 'string') throw new TypeError(`profile of ${row.primaryId} is not JSON-serialisable`);
    return this.writeParts(NO_BYTES, NO_BYTES, json);
  }

  /** A line of bytes, more bytes, then text (any may be empty): the bytes are copied, never decoded. */
  private writeParts(head: Uint8Array, middle: Uint8Array, tail: string): void | Promise<void> {
    const worstCase = head.length + middle.length + tail.length * MAX_UTF8_BYTES_PER_UNIT + 1;
    const full = this.used + worstCase > this.chunk.length;
    if (full) this.flush();
    this.rows++;
    if (worstCase > this.chunk.length) {
      this.sink.write(Buffer.concat([head, middle, Buffer.from(tail + '\n', 'utf8')]));
      return this.sink.drain();
    }
    this.chunk.set(head, this.used);
    this.used += head.length;
    this.chunk.set(middle, this.used);
    this.used += middle.length;
    if (tail) this.used += this.chunk.write(tail, this.used, 'utf8');
    this.chunk[this.used++] = NEWLINE;
    return full ? this.sink.drain() : undefined;
  }

  async close(): Promise<{ rows: number }> {
    this.assertOpen();
    this.state = 'closed';
    this.flush();
    await this.sink.end();
    return { rows: this.rows };
  }

  abort(error?: Error): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.used = 0;
    this.sink.destroy(error);
  }

  private flush(): void {
    if (this.used === 0) return;
    this.sink.write(this.chunk.subarray(0, this.used));
    // The output keeps the chunk it was given until it is consumed: start a fresh one.
    this.chunk = Buffer.allocUnsafe(JSONL_CHUNK_BYTES);
    this.used = 0;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`JSONL writer is ${this.state}`);
  }
}
