import { ByteWriter } from 'hyparquet-writer';
import type { OutputSink } from './output-stream';

/** Bytes gathered before they go to the output: large enough that stream writes are few. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * hyparquet-writer's byte buffer, emptied into the output instead of growing with the file.
 * hyparquet-writer only ever appends to its writer (pages are built in scratch buffers and then
 * appended; offsets come from `offset`, which keeps counting), so every byte before `index` is
 * final and can leave as soon as the buffer is full.
 */
export class StreamingByteWriter extends ByteWriter {
  private readonly sink: OutputSink;

  constructor(sink: OutputSink) {
    super(CHUNK_BYTES);
    this.sink = sink;
  }

  /** Called before every append: sends the buffer out rather than letting it grow. */
  override ensure(size: number): void {
    if (this.index > 0 && this.index + size > this.buffer.byteLength) this.emit();
    // super.ensure() grows the buffer only for an append larger than all of it, and appendBytes()
    // sends those out on their own: the buffer keeps its size for the whole file.
    super.ensure(size);
  }

  /**
   * A run of bytes larger than the buffer (a page of a few huge profiles) goes out as its own
   * chunk. It is copied: hyparquet-writer does not promise that it won't reuse what it appends.
   */
  override appendBytes(value: Uint8Array): void {
    if (value.length <= this.buffer.byteLength) return super.appendBytes(value);
    this.emit();
    this.sink.write(Buffer.from(value));
    this.offset += value.length;
  }

  /**
   * ParquetWriter calls this after each row group and waits for a returned promise before it
   * encodes more: this is where the output's backpressure reaches the encoder.
   */
  flush(): Promise<void> | undefined {
    this.emit();
    return this.sink.drain();
  }

  /** Called once the footer is appended. */
  override finish(): void {
    this.emit();
  }

  // The bytes have already left: there is no whole-file buffer to hand back.
  override getBuffer(): never {
    throw new Error('StreamingByteWriter does not keep the file in memory');
  }

  override getBytes(): never {
    throw new Error('StreamingByteWriter does not keep the file in memory');
  }

  private emit(): void {
    if (this.index === 0) return;
    // slice() copies, so the chunk stays intact while this buffer is reused for the next bytes.
    this.sink.write(Buffer.from(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
}
