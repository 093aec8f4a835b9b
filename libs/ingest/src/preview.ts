/**
 * The first records of a batch's files as a table: AEP's import preview
 * (`{columns: [{cid, name}], rows: [{<cid>: string}]}`), read with the same streamed reader as
 * ingestion, stopping as soon as it has enough.
 */
import type { Readable } from 'node:stream';
import { MalformedFile, RecordLimits, isRefused } from './records';
import { readRecords } from './record-source';

/** A file to read: its name and a way to open (the start of) its bytes. */
export interface RecordFileSource {
  name: string;
  open(): Promise<Readable>;
}

export interface PreviewColumn {
  cid: string;
  name: string;
}

export interface PreviewTable {
  columns: PreviewColumn[];
  rows: Array<Record<string, string>>;
}

export interface PreviewBounds {
  /** Most rows. */
  rows: number;
  /** Most JSON text of the rows together, in bytes (the first row is always taken). */
  bytes: number;
}

/**
 * Rows of the files, in order, until `bounds` is reached. Columns are the records' top-level
 * fields in order of first appearance (`cid` "c0", "c1", ...); a value is the string itself, or
 * the JSON text of anything else (numbers, booleans, null, objects, arrays). A record the reader
 * refuses, that is not JSON or not a JSON object is skipped; a file that cannot be read further
 * (corrupt gzip, a JSON array cut short) ends where it breaks and the next file is read.
 */
export async function previewTable(files: RecordFileSource[], bounds: PreviewBounds, limits: RecordLimits): Promise<PreviewTable> {
  const table = new TableBuilder(bounds);
  for (const file of files) {
    if (table.full) break;
    const records = readRecords(await file.open(), limits);
    try {
      for await (const raw of records) {
        if (isRefused(raw)) continue;
        table.add(raw.text);
        if (table.full) break;
      }
    } catch (e) {
      if (!(e instanceof MalformedFile)) throw e;
    } finally {
      await records.return(undefined);
    }
  }
  return table.result();
}

class TableBuilder {
  private readonly cids = new Map<string, string>();
  private readonly rows: Array<Record<string, string>> = [];
  private bytes = 0;
  full = false;

  constructor(private readonly bounds: PreviewBounds) {}

  add(text: string): void {
    const record = parseObject(text);
    if (!record) return;
    const size = Buffer.byteLength(text);
    if (this.rows.length && this.bytes + size > this.bounds.bytes) {
      this.full = true;
      return;
    }
    this.bytes += size;
    const row: Record<string, string> = {};
    for (const [name, value] of Object.entries(record)) {
      let cid = this.cids.get(name);
      if (cid === undefined) this.cids.set(name, (cid = `c${this.cids.size}`));
      row[cid] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    this.rows.push(row);
    if (this.rows.length >= this.bounds.rows) this.full = true;
  }

  result(): PreviewTable {
    return { columns: [...this.cids].map(([name, cid]) => ({ cid, name })), rows: this.rows };
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
