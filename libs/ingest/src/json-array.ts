/**
 * Splits a top-level JSON array into its elements' texts without parsing them. Tracks nesting as
 * it goes, so an element's depth costs nothing more; an element over a limit stops being held
 * while its structure is still followed to its end.
 */
import { checkRecord, tooDeep, tooLarge } from './record-checks';
import { MalformedFile, RawRecord, RecordLimits, RefusedRecord } from './records';
import { Splitter } from './splitter';

export class JsonArraySplitter implements Splitter {
  private depth = 0; // 0 before '[', 1 between elements, > 1 inside an element's brackets
  private inString = false;
  private escaped = false; // the chunk ended on a backslash inside a string
  private closed = false;
  // The element being read.
  private open = false;
  private start = 0; // where it starts in the current chunk (0 when it began in an earlier one)
  private pieces: Buffer[] = [];
  private held = 0;
  private elementLine = 0;
  private overSize = false;
  private overDepth = false;
  // Lines are counted lazily, up to where one is needed: `nextNewline` only moves forward.
  private chunk: Buffer = Buffer.alloc(0);
  private nextNewline = -1;

  constructor(
    private readonly limits: RecordLimits,
    public line = 1,
  ) {}

  push(chunk: Buffer, out: Array<RawRecord | RefusedRecord>): void {
    this.chunk = chunk;
    this.nextNewline = chunk.indexOf(10);
    this.start = 0;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const c = chunk[i];
      if (this.closed) {
        if (!isSpace(c)) throw new MalformedFile('text after the end of the JSON array', this.lineAt(i));
      } else if (this.depth === 0) {
        if (c === 91) this.depth = 1;
        else if (!isSpace(c)) throw new MalformedFile('expected a JSON array', this.lineAt(i));
      } else if (this.depth === 1 && (c === 44 || c === 93)) {
        // , or ] ends a primitive element (objects and arrays end at their closing bracket)
        if (this.open) this.finish(chunk, i, out);
        if (c === 93) this.closed = true;
      } else if (this.depth === 1 && isSpace(c)) {
        // between elements, or after a primitive
      } else {
        if (this.depth === 1 && !this.open) this.begin(i);
        if (c === 34) this.inString = true;
        else if (c === 123 || c === 91) {
          if (this.depth++ > this.limits.maxRecordDepth) this.drop('depth');
        } else if ((c === 125 || c === 93) && this.depth > 1) {
          if (--this.depth === 1) this.finish(chunk, i + 1, out);
        }
      }
      i++;
    }
    if (this.open && !this.overSize && !this.overDepth) {
      this.held += n - this.start;
      if (this.held > this.limits.maxRecordBytes) this.drop('size');
      else this.pieces.push(chunk.subarray(this.start));
    }
    this.lineAt(n);
  }

  end(): void {
    if (!this.closed) throw new MalformedFile('the JSON array is not closed', this.line);
  }

  /** Past the string's closing quote, or the chunk's end when the string goes on. */
  private skipString(chunk: Buffer, i: number): number {
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    const from = i;
    for (let q = chunk.indexOf(34, from); ; q = chunk.indexOf(34, q + 1)) {
      const at = q < 0 ? chunk.length : q;
      let k = at - 1;
      while (k >= from && chunk[k] === 92) k--;
      const oddBackslashes = (at - 1 - k) % 2 === 1;
      if (q < 0) {
        this.escaped = oddBackslashes;
        return chunk.length;
      }
      if (!oddBackslashes) {
        this.inString = false;
        return q + 1;
      }
    }
  }

  private begin(i: number): void {
    this.open = true;
    this.start = i;
    this.elementLine = this.lineAt(i);
  }

  private drop(why: 'size' | 'depth'): void {
    if (!this.overSize && !this.overDepth) {
      if (why === 'size') this.overSize = true;
      else this.overDepth = true;
    }
    this.pieces = [];
    this.held = 0;
  }

  private finish(chunk: Buffer, end: number, out: Array<RawRecord | RefusedRecord>): void {
    const line = this.elementLine;
    const pieces = this.pieces;
    const held = this.held;
    const overSize = this.overSize;
    const overDepth = this.overDepth;
    this.open = false;
    this.pieces = [];
    this.held = 0;
    this.overSize = this.overDepth = false;
    if (overSize) return void out.push(tooLarge(this.limits, line));
    if (overDepth) return void out.push(tooDeep(this.limits, line));
    let bytes = chunk.subarray(this.start, end);
    if (pieces.length) {
      pieces.push(bytes);
      bytes = Buffer.concat(pieces, held + bytes.length);
    }
    let last = bytes.length;
    while (last > 0 && isSpace(bytes[last - 1])) last--; // after a primitive, before the ','
    if (last > this.limits.maxRecordBytes) out.push(tooLarge(this.limits, line));
    else out.push(checkRecord(last === bytes.length ? bytes : bytes.subarray(0, last), line, this.limits, true));
  }

  private lineAt(i: number): number {
    while (this.nextNewline >= 0 && this.nextNewline < i) {
      this.line++;
      this.nextNewline = this.chunk.indexOf(10, this.nextNewline + 1);
    }
    return this.line;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}
