import { type FieldColumn, type PlainObject, compileCsvRecord, csvHeader } from '@sx/export';
import { OutputSink } from './output-stream';
import type { ExportRow, RowFileWriter } from './row-writer';

/** Records are gathered into chunks of about this many UTF-16 units: one stream write per chunk, not per row. */
export const CSV_CHUNK_UNITS = 128 * 1024;

/**
 * CSV (RFC 4180): a header record of the column paths, then one record per row, CRLF ended,
 * UTF-8 without a byte order mark. Every file of a batch starts with its own header, so that each
 * one reads on its own.
 */
export class CsvRowWriter implements RowFileWriter {
  private readonly sink: OutputSink;
  private readonly record: (row: PlainObject) => string;
  private pending: string;
  private rows = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  constructor(out: NodeJS.WritableStream, columns: readonly FieldColumn[]) {
    if (!columns.length) throw new Error('a CSV file needs at least one column (fields)');
    this.sink = new OutputSink(out);
    this.record = compileCsvRecord(columns);
    this.pending = csvHeader(columns);
  }

  write(row: ExportRow): void | Promise<void> {
    if (this.state !== 'open') throw new Error(`CSV writer is ${this.state}`);
    this.pending += this.record(profileOf(row));
    this.rows++;
    if (this.pending.length < CSV_CHUNK_UNITS) return undefined;
    this.flush();
    return this.sink.drain();
  }

  async close(): Promise<{ rows: number }> {
    if (this.state !== 'open') throw new Error(`CSV writer is ${this.state}`);
    this.state = 'closed';
    this.flush();
    await this.sink.end();
    return { rows: this.rows };
  }

  abort(error?: Error): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.pending = '';
    this.sink.destroy(error);
  }

  private flush(): void {
    if (!this.pending) return;
    this.sink.write(Buffer.from(this.pending, 'utf8'));
    this.pending = '';
  }
}

/**
 * The projected row as an object. A row of the stored-record fast path comes as its JSON bytes
 * (already cut to `fields`, so what is parsed here is only what the columns may read).
 */
function profileOf(row: ExportRow): PlainObject {
  if (row.profile) return row.profile;
  const parts = row.profileParts;
  if (!parts) throw new TypeError(`row of ${row.primaryId} has no profile`);
  const bytes = parts.middle ? Buffer.concat([parts.head, parts.middle]) : parts.head;
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') + parts.tail) as PlainObject;
}
