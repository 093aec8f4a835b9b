import { StringDecoder } from 'node:string_decoder';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One record's JSON text and the line it starts on (1-based), as found in an uploaded file. */
export interface RawRecord {
  text: string;
  line: number;
}

/** Thrown when the file as a whole cannot be read as JSON Lines or a JSON array. */
export class MalformedFile extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/**
 * The records of an uploaded file, streamed: gzip is detected by its magic bytes, then the text is
 * a JSON array (first character `[`) or JSON Lines. Only one record is held at a time.
 */
export async function* readRecords(input: Readable): AsyncGenerator<RawRecord> {
  const text = decodeText(await ungzipIfNeeded(input));
  let first: string | undefined;
  const chunks = text[Symbol.asyncIterator]();
  // Peek at the first non-blank character to choose the format.
  const buffered: string[] = [];
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    buffered.push(next.value);
    const m = /\S/.exec(next.value);
    if (m) {
      first = m[0];
      break;
    }
  }
  async function* rest(): AsyncGenerator<string> {
    yield* buffered;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  if (first === undefined) return;
  yield* first === '[' ? jsonArrayRecords(rest()) : jsonLinesRecords(rest());
}

async function ungzipIfNeeded(input: Readable): Promise<AsyncIterable<Buffer>> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await it.next();
  if (head.done) return (async function* () {})();
  const firstChunk = head.value as Buffer;
  async function* all(): AsyncGenerator<Buffer> {
    yield firstChunk;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  }
  if (firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b) {
    const gunzip = createGunzip();
    const source = Readable.from(all());
    source.on('error', (e) => gunzip.destroy(e));
    source.pipe(gunzip);
    return gunzip;
  }
  return all();
}

async function* decodeText(bytes: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let first = true;
  for await (const chunk of bytes) {
    let s = decoder.write(chunk);
    if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1); // byte order mark
    first = false;
    if (s) yield s;
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

async function* jsonLinesRecords(text: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let carry = '';
  let line = 0;
  for await (const chunk of text) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) {
      line++;
      const t = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (t.trim()) yield { text: t, line };
    }
  }
  line++;
  if (carry.trim()) yield { text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, line };
}

/** Splits a top-level JSON array into its elements' texts without parsing them. */
async function* jsonArrayRecords(text: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  let depth = 0; // 0 before '[', 1 inside the array, >1 inside an element
  let inString = false;
  let escaped = false;
  let line = 1;
  let element = '';
  let elementLine = 0;
  let closed = false;
  for await (const chunk of text) {
    let start = depth > 1 || (depth === 1 && element) ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (closed) {
        if (c > 32) throw new MalformedFile('text after the end of the JSON array', line);
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === 91) depth = 1; // [
        else if (c > 32) throw new MalformedFile('expected a JSON array', line);
        continue;
      }
      if (depth === 1) {
        if (c === 44 || c === 93) {
          // , or ] ends a primitive element (objects end at their closing brace below)
          if (start >= 0) element += chunk.slice(start, i);
          if (element.trim()) yield { text: element.trim(), line: elementLine };
          element = '';
          start = -1;
          if (c === 93) closed = true;
          continue;
        }
        if (c <= 32) continue;
        if (start < 0 && !element) {
          start = i;
          elementLine = line;
        }
      }
      if (c === 34) inString = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 1) {
          element += chunk.slice(start < 0 ? 0 : start, i + 1);
          yield { text: element, line: elementLine };
          element = '';
          start = -1;
        }
      }
    }
    if (start >= 0 && !closed) element += chunk.slice(start);
  }
  if (!closed) throw new MalformedFile('the JSON array is not closed', line);
}
