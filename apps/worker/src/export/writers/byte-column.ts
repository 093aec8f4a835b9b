/** UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * A column of strings kept as UTF-8 bytes in one reusable buffer. Holding a row group of
 * profile JSON as JS strings made every string live long enough to be promoted to the old
 * generation (GC was a third of the Parquet writer's time) and then cost a TextEncoder call
 * each; here the strings die young and the bytes are written once, straight into place.
 */
export class ByteColumn {
  private buffer: Buffer;
  private used = 0;
  private ends: number[] = [];

  constructor(initialBytes = 1024 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.ends.length;
  }

  /** Bytes held (the buffer itself may be larger: it keeps its size for the next row group). */
  get byteLength(): number {
    return this.used;
  }

  push(text: string): void {
    const worstCase = this.used + text.length * MAX_UTF8_BYTES_PER_UNIT;
    if (worstCase > this.buffer.length) this.grow(worstCase);
    this.used += this.buffer.write(text, this.used, 'utf8');
    this.ends.push(this.used);
  }

  /**
   * Views of each value, valid until the next clear(): hyparquet-writer encodes them while
   * ParquetWriter.write() runs, so the buffer can then be reused for the next row group.
   */
  values(): Uint8Array[] {
    const { buffer: arrayBuffer, byteOffset } = this.buffer;
    const views = new Array<Uint8Array>(this.ends.length);
    let start = 0;
    for (let i = 0; i < this.ends.length; i++) {
      views[i] = new Uint8Array(arrayBuffer, byteOffset + start, this.ends[i] - start);
      start = this.ends[i];
    }
    return views;
  }

  clear(): void {
    this.used = 0;
    this.ends = [];
  }

  private grow(atLeast: number): void {
    const grown = Buffer.allocUnsafe(Math.max(atLeast, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}
