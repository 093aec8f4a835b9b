import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

/**
 * The output as the writers use it. Callers hand us a `NodeJS.WritableStream` (in practice a
 * PassThrough that the storage reads); the optional Writable members are read when present so
 * that a stream which is already errored or destroyed fails fast instead of hanging on 'drain'.
 */
export type OutputStream = NodeJS.WritableStream & Partial<Pick<Writable, 'destroy' | 'destroyed' | 'errored'>>;

/**
 * Writes chunks to the output and keeps track of its backpressure: `write()` returns false once
 * the output holds more than its highWaterMark, and from then on the writer must wait for
 * 'drain' before producing more, or memory grows with the file.
 */
export class OutputSink {
  private readonly out: OutputStream;
  private needDrain = false;
  private draining: Promise<void> | undefined;

  constructor(out: NodeJS.WritableStream) {
    this.out = out;
  }

  /** Hands a chunk to the output; returns false when the caller should await `drain()`. */
  write(chunk: Uint8Array): boolean {
    if (!this.out.write(chunk)) this.needDrain = true;
    return !this.needDrain;
  }

  /** Resolves at once when the output has room, else on its next 'drain'; rejects if it fails. */
  drain(): Promise<void> | undefined {
    if (!this.needDrain) return undefined;
    this.draining ??= waitForDrain(this.out).then(() => {
      this.needDrain = false;
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Ends the output and resolves once everything written has been accepted downstream. */
  async end(): Promise<void> {
    this.out.end();
    // readable: false so that a PassThrough counts as done once its writable side finished.
    await finished(this.out, { readable: false });
  }

  destroy(error?: Error): void {
    if (typeof this.out.destroy === 'function') {
      this.out.destroy(error);
    } else {
      // A bare NodeJS.WritableStream cannot be destroyed: ending it is the closest we can do.
      this.out.end();
    }
  }
}

/** One 'drain', or a rejection if the output errors or closes first (never a hang). */
function waitForDrain(out: OutputStream): Promise<void> {
  if (out.errored) return Promise.reject(out.errored);
  if (out.destroyed) return Promise.reject(new Error('output stream was destroyed'));
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      out.removeListener('drain', onDrain);
      out.removeListener('error', onError);
      out.removeListener('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(out.errored ?? new Error('output stream closed before it drained'));
    };
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}
