import { OutputSink } from './output-stream';
import type { ExportRow, RowFileWriter } from './row-writer';

/** Lines are gathered into chunks of about this many bytes: one stream write per chunk, not per row. */
export const JSONL_CHUNK_BYTES = 256 * 1024;

/** JSON Lines: one `JSON.stringify(profile)` per line. */
export class JsonlRowWriter implements RowFileWriter {
  private readonly sink: OutputSink;
  private lines: string[] = [];
  // UTF-16 code units, not bytes: close enough to size a chunk, and free to compute.
  private pendingChars = 0;
  private rows = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(out: NodeJS.WritableStream) {
    this.sink = new OutputSink(out);
  }

  /** Characters held here and not yet handed to the output (for tests and metrics). */
  get bufferedChars(): number {
    return this.pendingChars;
  }

  write(row: ExportRow): void | Promise<void> {
    this.assertOpen();
    const line = JSON.stringify(row.profile) + '\n';
    this.lines.push(line);
    this.pendingChars += line.length;
    this.rows++;
    if (this.pendingChars < JSONL_CHUNK_BYTES) return undefined;
    this.flush();
    return this.sink.drain();
  }

  async close(): Promise<{ rows: number }> {
    this.assertOpen();
    this.state = 'closed';
    this.flush();
    await this.sink.drain();
    await this.sink.end();
    return { rows: this.rows };
  }

  abort(error?: Error): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.lines = [];
    this.pendingChars = 0;
    this.sink.destroy(error);
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    // A Buffer, not a string, so that the reader gets bytes whatever the stream's encoding options.
    this.sink.write(Buffer.from(this.lines.join(''), 'utf8'));
    this.lines = [];
    this.pendingChars = 0;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`JSONL writer is ${this.state}`);
  }
}
