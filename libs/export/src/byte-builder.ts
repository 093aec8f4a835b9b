/**
 * A growable byte buffer reused row after row: the export's projected rows are assembled here
 * from views of the stored bytes (copied once) and a little text, never as JS strings.
 */
export class ByteBuilder {
  private buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Empties it for the next row (the buffer is kept). */
  reset(): void {
    this.length = 0;
  }

  /** Back to `length` (a tentatively written member that selected nothing). */
  truncate(length: number): void {
    this.length = length;
  }

  byte(c: number): void {
    if (this.length === this.buffer.length) this.grow(1);
    this.buffer[this.length++] = c;
  }

  bytes(b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    if (this.length + n > this.buffer.length) this.grow(n);
    // A copy by offsets: a subarray per call (a new view object each time) cost more than the copy.
    if (Buffer.isBuffer(b)) b.copy(this.buffer, this.length, start, end);
    else this.buffer.set(b.subarray(start, end), this.length);
    this.length += n;
  }

  text(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.length + s.length * 3 > this.buffer.length) this.grow(s.length * 3);
    this.length += this.buffer.write(s, this.length, 'utf8');
  }

  /** The bytes written: a view, valid until the next reset() (callers copy it before then). */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private grow(more: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.length + more, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
