import { ParquetWriter } from 'hyparquet-writer';
import { ByteColumn } from './byte-column';
import { OutputSink } from './output-stream';
import { COLUMNS, encodingSchema, fileSchema, type ColumnSource } from './parquet-schema';
import type { ExportRow, RowFileWriter, RowFileWriterOptions } from './row-writer';
import { StreamingByteWriter } from './streaming-byte-writer';

export const DEFAULT_ROW_GROUP_ROWS = 50_000;
/** 128 MiB of profile JSON, the usual Parquet row group size: bounds memory when profiles are large. */
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024;

/**
 * Streaming Parquet: rows are held as three columns (the profile already serialised to UTF-8
 * bytes) until `rowGroupRows` of them (or `rowGroupBytes` of profiles) are buffered, then
 * encoded as one row group (snappy: hyparquet-writer's default, built in, and no slower here
 * than uncompressed while ~11x smaller), written out and dropped. Memory is bounded by one row
 * group whatever the file's size; only the footer's per-row-group metadata grows with the file,
 * as in any Parquet writer.
 */
export class ParquetRowWriter implements RowFileWriter {
  private readonly sink: OutputSink;
  private readonly parquet: ParquetWriter;
  private readonly rowGroupRows: number;
  private readonly rowGroupBytes: number;
  private namespaces: string[] = [];
  private ids: string[] = [];
  private readonly profiles = new ByteColumn();
  private rows = 0;
  private state: 'open' | 'closed' | 'failed' | 'aborted' = 'open';

  constructor(out: NodeJS.WritableStream, options: RowFileWriterOptions = {}) {
    this.rowGroupRows = positiveInteger('rowGroupRows', options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS);
    this.rowGroupBytes = positiveInteger('rowGroupBytes', options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES);
    this.sink = new OutputSink(out);
    // Writes the leading magic into the byte writer's buffer; it reaches `out` with the first row group.
    this.parquet = new ParquetWriter({ writer: new StreamingByteWriter(this.sink), schema: encodingSchema(), codec: 'SNAPPY' });
  }

  /** Rows held here and not yet encoded (for tests and metrics). */
  get bufferedRows(): number {
    return this.ids.length;
  }

  write(row: ExportRow): void | Promise<void> {
    this.assertOpen();
    // Checked here because a bad value would otherwise only fail when its row group is encoded,
    // rows later, with an error that no longer says which row it was.
    if (typeof row.primaryNamespace !== 'string' || typeof row.primaryId !== 'string') {
      throw new TypeError('primaryNamespace and primaryId must be strings');
    }
    const profile: unknown = row.profileJson ?? JSON.stringify(row.profile);
    if (typeof profile !== 'string') throw new TypeError(`profile of ${row.primaryId} is not JSON-serialisable`);
    this.namespaces.push(row.primaryNamespace);
    this.ids.push(row.primaryId);
    this.profiles.push(profile);
    this.rows++;
    const full = this.ids.length >= this.rowGroupRows || this.profiles.byteLength >= this.rowGroupBytes;
    return full ? this.writeRowGroup() : undefined;
  }

  async close(): Promise<{ rows: number }> {
    this.assertOpen();
    this.state = 'closed';
    if (this.ids.length > 0) await this.writeRowGroup();
    // The footer carries the real schema (profile as JSON): see encodingSchema() for why the
    // pages were encoded against a different annotation. ParquetWriter reads `schema` only to
    // encode row groups and to write the footer, so swapping it now affects the footer alone.
    this.parquet.schema = fileSchema();
    await this.parquet.finish();
    await this.sink.end();
    return { rows: this.rows };
  }

  abort(error?: Error): void {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.namespaces = [];
    this.ids = [];
    this.profiles.clear();
    this.sink.destroy(error);
  }

  /** Encodes the buffered rows as one row group; a promise means the output must drain first. */
  private writeRowGroup(): void | Promise<void> {
    const columnData: ColumnSource[] = [
      { name: COLUMNS.namespace, data: this.namespaces },
      { name: COLUMNS.id, data: this.ids },
      // No min/max for whole JSON documents: useless to readers, and they would be copied into
      // the footer for every row group.
      { name: COLUMNS.profile, data: this.profiles.values(), statistics: false },
    ];
    const rowGroupSize = this.ids.length;
    this.namespaces = [];
    this.ids = [];
    try {
      // Encodes, compresses and hands the bytes to the output before it returns (only the wait
      // for 'drain' is asynchronous), so the profile bytes can be reused right after.
      return this.parquet.write({ columnData, rowGroupSize });
    } catch (error) {
      // A half-written row group cannot be taken back: the file is unusable, the caller aborts.
      this.state = 'failed';
      throw error;
    } finally {
      this.profiles.clear();
    }
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`Parquet writer is ${this.state}`);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
