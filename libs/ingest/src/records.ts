/** What the reader hands out: records, records it refused, and the limits it refuses them by. */

/** One record's JSON text and the line it starts on (1-based; for gzip, a line of the decompressed text). */
export type RawRecord = { text: string; line: number };

/** A record the reader would not hand out, with why; the rest of the file is still read. */
export type RefusedRecord = {
  refused: { code: 'RECORD_TOO_LARGE' | 'RECORD_TOO_DEEP' | 'INVALID_RECORD'; description: string };
  line: number;
};

export interface RecordLimits {
  /** Longest JSON text of one record, in bytes (a JSON Lines line without its line break, or an array element). */
  maxRecordBytes: number;
  /** Deepest nesting of objects and arrays in one record (`{"a":1}` is 1). */
  maxRecordDepth: number;
  /** Largest decompressed size of a gzip file, in bytes. */
  maxDecompressedBytes: number;
  /** Largest ratio of decompressed to compressed bytes, checked from the first MiB decompressed on. */
  maxGzipRatio: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = Object.freeze({
  maxRecordBytes: 1024 * 1024,
  maxRecordDepth: 64,
  maxDecompressedBytes: 20 * 1024 * 1024 * 1024,
  maxGzipRatio: 200,
});

export function isRefused(r: RawRecord | RefusedRecord): r is RefusedRecord {
  return 'refused' in r;
}

/**
 * The file as a whole cannot be read: corrupt, truncated or oversized gzip, not JSON, an array
 * not closed or followed by text. `line`: where reading stopped.
 */
export class MalformedFile extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'MalformedFile';
  }
}
