import type { FieldColumn, SplicedRecord } from '@sx/export';
import { CsvRowWriter } from './csv-writer';
import { JsonlRowWriter } from './jsonl-writer';
import { ParquetRowWriter } from './parquet-writer';

export interface ExportRow {
  /** The profile already serialised as UTF-8 bytes then text (a stored record, spliced): written as is instead of `profile`. */
  profileParts?: SplicedRecord;
  primaryNamespace: string;
  primaryId: string;
  profile?: Record<string, unknown>;
}

export interface RowFileWriter {
  /** Appends a row; when it returns a promise, the caller awaits it before writing more (backpressure). */
  write(row: ExportRow): void | Promise<void>;
  /** Completes the file (Parquet footer etc.) and ends the output stream. */
  close(): Promise<{ rows: number }>;
  /** Stops without completing: destroys the output (the caller deletes the staged file). */
  abort(error?: Error): void;
}

export type OutputFormat = 'parquet' | 'jsonl' | 'csv';

export interface RowFileWriterOptions {
  /** Parquet only: rows held in memory before they are written out as one row group. */
  rowGroupRows?: number;
  /** Parquet only: profile bytes that end a row group early, so that large profiles stay bounded too. */
  rowGroupBytes?: number;
  /** CSV only: the columns (the `fields` paths), in order. */
  csvColumns?: readonly FieldColumn[];
}

export const FILE_EXTENSION: Record<OutputFormat, string> = { parquet: '.parquet', jsonl: '.jsonl', csv: '.csv' };

/**
 * A writer for one dataset file. `out` is a Writable (e.g. a PassThrough read by the storage);
 * the writer ends it on close() and destroys it on abort().
 */
export function createRowFileWriter(format: OutputFormat, out: NodeJS.WritableStream, options: RowFileWriterOptions = {}): RowFileWriter {
  switch (format) {
    case 'parquet':
      return new ParquetRowWriter(out, options);
    case 'jsonl':
      return new JsonlRowWriter(out);
    case 'csv':
      return new CsvRowWriter(out, options.csvColumns ?? []);
    default: {
      // Callers may pass a format that came from an API request or the database as a string.
      const unknown: never = format;
      throw new Error(`unknown output format: ${String(unknown)}`);
    }
  }
}
