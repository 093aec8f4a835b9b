/** UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;
export const NO_BYTES = new Uint8Array(0);

/**
 * A column of strings kept as UTF-8 bytes in one reusable buffer. Holding a row group of
 * profile JSON as JS strings made every string live long enough to be promoted to the old
 * generation (GC was a third of the Parquet writer's time) and then cost a TextEncoder call
 * each; here the strings die young and the bytes are written once, straight into place.
 */
export class ByteColumn {
  private buffer: Buffer;
  private used = 0;
  /** End offset of each value (offsets may pass 2^32 in a huge buffer: doubles, not uint32). */
  private ends: Float64Array;
  private count = 0;
  private readonly initialBytes: number;

  /**
   * @param initialBytes the buffer's size to start with, and what clear() returns it to when one
   *   row group needed much more (an outlier must not pin its memory for the rest of the file).
   */
  constructor(initialBytes = 1024 * 1024) {
    this.initialBytes = initialBytes;
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.ends = new Float64Array(1024);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes held (the buffer itself may be larger: it keeps its size for the next row group). */
  get byteLength(): number {
    return this.used;
  }

  /** Bytes reserved (for tests and metrics). */
  get capacity(): number {
    return this.buffer.length;
  }

  push(text: string): void {
    this.pushParts(NO_BYTES, NO_BYTES, text);
  }

  /** One value made of UTF-8 bytes, more bytes (both copied as they are), then text. */
  pushParts(head: Uint8Array, middle: Uint8Array, tail: string): void {
    const worstCase = this.used + head.length + middle.length + tail.length * MAX_UTF8_BYTES_PER_UNIT;
    if (worstCase > this.buffer.length) this.grow(worstCase);
    this.buffer.set(head, this.used);
    this.used += head.length;
    this.buffer.set(middle, this.used);
    this.used += middle.length;
    this.used += this.buffer.write(tail, this.used, 'utf8');
    this.endValue();
  }

  private endValue(): void {
    if (this.count === this.ends.length) {
      const ends = new Float64Array(this.count * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.ends[this.count++] = this.used;
  }

  /**
   * Views of each value, valid until the next clear(): hyparquet-writer encodes them while
   * ParquetWriter.write() runs, so the buffer can then be reused for the next row group.
   */
  values(): Uint8Array[] {
    const { buffer: arrayBuffer, byteOffset } = this.buffer;
    const views = new Array<Uint8Array>(this.count);
    let start = 0;
    for (let i = 0; i < this.count; i++) {
      const end = this.ends[i];
      views[i] = new Uint8Array(arrayBuffer, byteOffset + start, end - start);
      start = end;
    }
    return views;
  }

  /**
   * Empties the column, keeping its buffer for the next row group, unless it is over 4x what
   * this row group used (a 50 MB profile reserves 150 MB): that memory is given back rather than
   * kept for the rest of the file, and the next row groups grow the buffer only as they need.
   */
  clear(): void {
    const keep = Math.max(this.initialBytes, this.used);
    if (this.buffer.length > 4 * keep) this.buffer = Buffer.allocUnsafe(keep);
    if (this.ends.length > 4 * Math.max(1024, this.count)) this.ends = new Float64Array(Math.max(1024, this.count));
    this.used = 0;
    this.count = 0;
  }

  private grow(atLeast: number): void {
    const grown = Buffer.allocUnsafe(Math.max(atLeast, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}
