/**
 * The bytes of an uploaded file, ungzipped when it starts with gzip's magic bytes, within the
 * decompression limits. Whatever way it ends (done, thrown, or abandoned by the consumer), the
 * input and the zlib stream are destroyed.
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { RecordLimits } from './records';

/** A fault of the file itself; the record reader turns it into MalformedFile at its current line. */
export class FileFault extends Error {}

const MiB = 1024 * 1024;

export async function* fileBytes(input: Readable, limits: Pick<RecordLimits, 'maxDecompressedBytes' | 'maxGzipRatio'>): AsyncGenerator<Buffer> {
  const source = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  try {
    // Two bytes tell gzip; a first chunk may be shorter.
    let head: Buffer = Buffer.alloc(0);
    while (head.length < 2) {
      const next = await source.next();
      if (next.done) break;
      head = head.length ? Buffer.concat([head, asBuffer(next.value)]) : asBuffer(next.value);
    }
    if (!(head[0] === 0x1f && head[1] === 0x8b)) {
      if (head.length) yield head;
      for (let next = await source.next(); !next.done; next = await source.next()) yield asBuffer(next.value);
      return;
    }
    gunzip = createGunzip();
    // pipeline destroys every stream when one fails; its error reaches us through gunzip.
    pipeline(Readable.from(withHead(head, source), { objectMode: false }), gunzip, () => undefined);
    let total = 0;
    try {
      // zlib honours backpressure within one input chunk, so only a chunk or two of output
      // (chunkSize, 16 KiB by default) is held however much a chunk expands: memory stays bounded
      // (a 512 MiB bomb inflates in about 20 MiB of RSS), and a bomb stops at the limit instead of
      // inflating to the end. (zlib's maxOutputLength only applies to its whole-buffer functions.)
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > limits.maxDecompressedBytes) {
          throw new FileFault(`the decompressed file is larger than maxDecompressedBytes (${limits.maxDecompressedBytes} bytes)`);
        }
        if (total >= MiB && total > limits.maxGzipRatio * gunzip.bytesWritten) {
          throw new FileFault(`the gzip file expands more than maxGzipRatio (${limits.maxGzipRatio}) times its compressed size`);
        }
        yield chunk;
      }
    } catch (e) {
      throw zlibFault(e) ?? e;
    }
  } finally {
    gunzip?.destroy();
    input.destroy();
  }
}

async function* withHead(head: Buffer, rest: AsyncIterator<Buffer | string>): AsyncGenerator<Buffer> {
  yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield asBuffer(next.value);
}

function asBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/** zlib's errors are the file's fault (they carry a Z_ code); the input's own (I/O) are not. */
function zlibFault(e: unknown): FileFault | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return undefined;
  if (code === 'Z_BUF_ERROR') return new FileFault('the gzip stream is truncated');
  return new FileFault(`the file is not valid gzip: ${(e as Error).message}`);
}
