import { Readable } from 'node:stream';
import { FileFault, fileBytes } from './file-bytes';
import { JsonArraySplitter } from './json-array';
import { JsonLinesSplitter } from './json-lines';
import { DEFAULT_RECORD_LIMITS, MalformedFile, RawRecord, RecordLimits, RefusedRecord } from './records';
import { Splitter } from './splitter';

export * from './records';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The records of an uploaded file, streamed: gzip is detected by its magic bytes, then the text is
 * a JSON array (first character `[`) or JSON Lines. Only one record is held at a time, and none
 * longer than `limits.maxRecordBytes`. A record over a limit, or not valid UTF-8, or holding a NUL,
 * is yielded as refused; a fault of the whole file throws MalformedFile. Ending early (`return()`)
 * destroys the input.
 */
export function readRecords(input: Readable, limits: RecordLimits = DEFAULT_RECORD_LIMITS): AsyncGenerator<RawRecord | RefusedRecord> {
  const records = read(input, limits);
  const close = records.return.bind(records);
  // return() on a generator not started yet skips its finally: the input must not outlive it.
  records.return = (value) => {
    input.destroy();
    return close(value);
  };
  return records;
}

async function* read(input: Readable, limits: RecordLimits): AsyncGenerator<RawRecord | RefusedRecord> {
  let splitter: Splitter | undefined;
  let head: Buffer | undefined = Buffer.alloc(0); // the first bytes, until the byte order mark is ruled in or out
  let line = 1; // before the splitter: lines of the leading whitespace
  const out: Array<RawRecord | RefusedRecord> = [];
  try {
    for await (let chunk of fileBytes(input, limits)) {
      if (head) {
        chunk = head.length ? Buffer.concat([head, chunk]) : chunk;
        if (chunk.length < BOM.length && BOM.subarray(0, chunk.length).equals(chunk)) {
          head = chunk;
          continue;
        }
        head = undefined;
        if (chunk.subarray(0, BOM.length).equals(BOM)) chunk = chunk.subarray(BOM.length);
      }
      if (!splitter) {
        // Leading whitespace is dropped, counting its lines, so the first byte tells the format.
        let i = 0;
        while (i < chunk.length && (chunk[i] === 32 || chunk[i] === 10 || chunk[i] === 13 || chunk[i] === 9)) if (chunk[i++] === 10) line++;
        if (i === chunk.length) continue;
        splitter = chunk[i] === 91 ? new JsonArraySplitter(limits, line) : new JsonLinesSplitter(limits, line);
        chunk = chunk.subarray(i);
      }
      splitter.push(chunk, out);
      for (const r of out) yield r;
      out.length = 0;
    }
    if (head?.length) {
      // A file of one or two bytes that begin like a byte order mark: a (bad) record of its own.
      splitter = new JsonLinesSplitter(limits, line);
      splitter.push(head, out);
    }
    splitter?.end(out);
    for (const r of out) yield r;
  } catch (e) {
    if (e instanceof FileFault) throw new MalformedFile(e.message, splitter?.line ?? line);
    throw e;
  } finally {
    // fileBytes destroys it too; this covers an abandon before its first chunk was asked for.
    input.destroy();
  }
}
