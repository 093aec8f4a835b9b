/** Splits JSON Lines bytes into records, one per line, without holding a line longer than the limit. */
import { checkRecord, tooLarge } from './record-checks';
import { RawRecord, RecordLimits, RefusedRecord } from './records';
import { Splitter } from './splitter';

const EMPTY = Buffer.alloc(0);

export class JsonLinesSplitter implements Splitter {
  private pieces: Buffer[] = []; // start of the current line, from earlier chunks
  private held = 0;
  private dropped = false; // the current line is over the limit: its bytes are discarded up to '\n'

  constructor(
    private readonly limits: RecordLimits,
    public line = 1,
  ) {}

  push(chunk: Buffer, out: Array<RawRecord | RefusedRecord>): void {
    let start = 0;
    // '\n' never occurs inside a multi-byte UTF-8 sequence: splitting bytes on it is safe.
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.finish(chunk.subarray(start, nl), out);
      start = nl + 1;
    }
    if (start < chunk.length && !this.dropped) {
      this.held += chunk.length - start;
      // + 1: room for a '\r' that is not part of the record.
      if (this.held > this.limits.maxRecordBytes + 1) {
        this.dropped = true;
        this.pieces = [];
      } else this.pieces.push(chunk.subarray(start));
    }
  }

  end(out: Array<RawRecord | RefusedRecord>): void {
    if (this.pieces.length || this.dropped) this.finish(EMPTY, out);
  }

  private finish(tail: Buffer, out: Array<RawRecord | RefusedRecord>): void {
    const line = this.line++;
    if (this.dropped) {
      this.dropped = false;
      this.held = 0;
      out.push(tooLarge(this.limits, line));
      return;
    }
    let bytes = tail;
    if (this.pieces.length) {
      this.pieces.push(tail);
      bytes = Buffer.concat(this.pieces, this.held + tail.length);
      this.pieces = [];
      this.held = 0;
    }
    let end = bytes.length;
    if (end && bytes[end - 1] === 13) end--;
    if (isBlank(bytes, end)) return;
    if (end > this.limits.maxRecordBytes) out.push(tooLarge(this.limits, line));
    else out.push(checkRecord(end === bytes.length ? bytes : bytes.subarray(0, end), line, this.limits, false));
  }
}

function isBlank(bytes: Buffer, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = bytes[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
