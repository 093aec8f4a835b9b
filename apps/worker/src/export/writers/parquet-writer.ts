import { ParquetWriter } from 'hyparquet-writer';
import { ByteColumn, NO_BYTES } from './byte-column';
import { OutputSink } from './output-stream';
import { COLUMNS, encodingSchema, fileSchema, type ColumnSource } from './parquet-schema';
import type { ExportRow, RowFileWriter, RowFileWriterOptions } from './row-writer';
import { StreamingByteWriter } from './streaming-byte-writer';

export const DEFAULT_ROW_GROUP_ROWS = 50_000;
/** 128 MiB of profile JSON, the usual Parquet row group size: bounds memory when profiles are large. */
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024;

/**
 * Target size of a data page before compression. hyparquet-writer builds each page in a buffer
 * that starts at 1 KiB and doubles, and closes a page only once it holds at least this many
 * bytes: at its default (1 MiB) nearly every page spilled just past 1 MiB into a 2 MiB buffer,
 * so each page allocated and zero-filled ~4 MiB. Just under 1 MiB, a page of profiles (unless
 * the last one is over 64 KiB) ends inside the 1 MiB buffer: half the allocation, same page count.
 */
export const PAGE_BYTES = 1024 * 1024 - 64 * 1024;

type Compressor = (input: Uint8Array) => Uint8Array;

/**
 * The SNAPPY compressor. Native snappy (the `snappy` package: napi-rs, with prebuilt binaries as
 * optional dependencies, no install script) is ~4x faster than hyparquet-writer's JavaScript
 * snappy, which was three quarters of this writer's time. `copyOutputData` is not optional: by
 * default the result is an external buffer that V8 does not count, so no GC comes to free them
 * and RSS grows by every page written (2.3 GiB after 1,500 pages of 1 MiB in a test), while the
 * copy into a V8-owned buffer costs less than it saves. Without a binary for the platform, the
 * JavaScript snappy (hyparquet-writer's default) is used: slower, same format (raw snappy blocks,
 * which is what Parquet's SNAPPY codec is).
 */
export const SNAPPY = loadSnappy();

function loadSnappy(): { implementation: 'native' | 'javascript'; compressors?: { SNAPPY: Compressor } } {
  let compressSync: typeof import('snappy').compressSync;
  try {
    // Loaded here rather than imported so that a missing binary leaves the fallback, not a crash.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ compressSync } = require('snappy') as typeof import('snappy'));
  } catch {
    return { implementation: 'javascript' };
  }
  const options = { copyOutputData: true };
  return { implementation: 'native', compressors: { SNAPPY: (input) => compressSync(input, options) } };
}

/**
 * Streaming Parquet: rows are held as three columns (the ids and the profile already encoded as
 * UTF-8 bytes) until `rowGroupRows` of them (or `rowGroupBytes` of profiles) are buffered, then
 * encoded as one row group (snappy), written out and dropped. Memory is bounded by one row group
 * whatever the file's size (the buffers are reused from one row group to the next); only the
 * footer's per-row-group metadata (a few hundred bytes per row group) grows with the file, as in
 * any Parquet writer.
 */
export class ParquetRowWriter implements RowFileWriter {
  private readonly sink: OutputSink;
  private readonly parquet: ParquetWriter;
  private readonly rowGroupRows: number;
  private readonly rowGroupBytes: number;
  private namespaces: string[] = [];
  // Bytes, not strings: hyparquet-writer would otherwise TextEncoder every id, and a row group's
  // worth of strings would outlive the young generation.
  private readonly ids = new ByteColumn(64 * 1024);
  private readonly profiles = new ByteColumn();
  private rows = 0;
  private state: 'open' | 'closed' | 'failed' | 'aborted' = 'open';

  constructor(out: NodeJS.WritableStream, options: RowFileWriterOptions = {}) {
    this.rowGroupRows = positiveInteger('rowGroupRows', options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS);
    this.rowGroupBytes = positiveInteger('rowGroupBytes', options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES);
    this.sink = new OutputSink(out);
    // Writes the leading magic into the byte writer's buffer; it reaches `out` with the first row group.
    this.parquet = new ParquetWriter({
      writer: new StreamingByteWriter(this.sink),
      schema: encodingSchema(),
      codec: 'SNAPPY',
      compressors: SNAPPY.compressors,
    });
  }

  /** Rows held here and not yet encoded (for tests and metrics). */
  get bufferedRows(): number {
    return this.namespaces.length;
  }

  write(row: ExportRow): void | Promise<void> {
    this.assertOpen();
    // Checked here because a bad value would otherwise only fail when its row group is encoded,
    // rows later, with an error that no longer says which row it was.
    if (typeof row.primaryNamespace !== 'string' || typeof row.primaryId !== 'string') {
      throw new TypeError('primaryNamespace and primaryId must be strings');
    }
    if (row.profileParts) {
      this.profiles.pushParts(row.profileParts.head, row.profileParts.middle ?? NO_BYTES, row.profileParts.tail);
    } else {
      const profile: unknown = JSON.stringify(row.profile);
      if (typeof profile !== 'string') throw new TypeError(`profile of ${row.primaryId} is not JSON-serialisable`);
      this.profiles.push(profile);
    }
    this.namespaces.push(row.primaryNamespace);
    this.ids.push(row.primaryId);
    this.rows++;
    const full = this.namespaces.length >= this.rowGroupRows || this.profiles.byteLength >= this.rowGroupBytes;
    return full ? this.writeRowGroup() : undefined;
  }

  async close(): Promise<{ rows: number }> {
    this.assertOpen();
    this.state = 'closed';
    if (this.namespaces.length > 0) await this.writeRowGroup();
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
    this.ids.clear();
    this.profiles.clear();
    this.sink.destroy(error);
  }

  /** Encodes the buffered rows as one row group; a promise means the output must drain first. */
  private writeRowGroup(): void | Promise<void> {
    const columnData: ColumnSource[] = [
      // A handful of distinct values: the dictionary hyparquet-writer picks by itself.
      { name: COLUMNS.namespace, data: this.namespaces },
      // Unique per row: a dictionary never wins, so skip hyparquet-writer's attempt (it samples
      // and hashes values first). Its min/max stay in the footer (see keepStatistics()).
      { name: COLUMNS.id, data: this.ids.values(), encoding: 'PLAIN' },
      // No min/max for whole JSON documents: useless to readers, and they would be copied into
      // the footer for every row group. No dictionary attempt either (it hashed ~1,000 profiles
      // per row group before giving up).
      { name: COLUMNS.profile, data: this.profiles.values(), encoding: 'PLAIN', statistics: false },
    ];
    const rowGroupSize = this.namespaces.length;
    this.namespaces = [];
    try {
      // Encodes, compresses and hands the bytes to the output before it returns (only the wait
      // for 'drain' is asynchronous: one row group per call), so the bytes can be reused after.
      const drained = this.parquet.write({ columnData, rowGroupSize, pageSize: PAGE_BYTES });
      this.keepStatistics();
      return drained;
    } catch (error) {
      // A half-written row group cannot be taken back: the file is unusable, the caller aborts.
      this.state = 'failed';
      throw error;
    } finally {
      this.ids.clear();
      this.profiles.clear();
    }
  }

  /**
   * The id column's min/max, kept by ParquetWriter for the footer until finish(), are views of
   * the id buffer, which the next row group overwrites: copy them out (a few bytes each).
   */
  private keepStatistics(): void {
    const statistics = this.parquet.row_groups.at(-1)?.columns[1]?.meta_data?.statistics;
    if (!statistics) return;
    for (const key of ['min_value', 'max_value', 'min', 'max'] as const) {
      const value = statistics[key];
      if (value instanceof Uint8Array) statistics[key] = value.slice();
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
