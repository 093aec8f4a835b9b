import { RawRecord, RefusedRecord } from './records';

/**
 * Turns a file's bytes into records, chunk by chunk. Synchronous, so that the reader alone owns
 * the streams and knows, through `line`, where a failure of the file happened.
 */
export interface Splitter {
  /** Line being read (1-based). */
  readonly line: number;
  push(chunk: Buffer, out: Array<RawRecord | RefusedRecord>): void;
  end(out: Array<RawRecord | RefusedRecord>): void;
}
