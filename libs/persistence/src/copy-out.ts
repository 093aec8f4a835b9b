import type { Readable } from 'node:stream';

const UNESCAPE = /\\(.)/g;
const UNESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** One field of COPY's text format back to its value. */
export function unescapeCopyField(field: string): string {
  return field.indexOf('\\') < 0 ? field : field.replace(UNESCAPE, (_, c: string) => UNESCAPES[c] ?? c);
}

const field = (f: string): string | null => (f === '\\N' ? null : unescapeCopyField(f));

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/**
 * The rows of a `COPY ... TO STDOUT` (text format) stream, as arrays of unescaped fields (NULL:
 * null), in batches: one batch per chunk read, so that consumers loop synchronously over rows.
 */
export function copyRowBatches(stream: Readable): AsyncGenerator<Array<Array<string | null>>> {
  return copyRowBatchesRaw(stream, -1) as AsyncGenerator<Array<Array<string | null>>>;
}

/**
 * Like copyRowBatches, except `rawColumn` (-1: none), which stays the
 * exact bytes of the value (a view into the chunk, valid while the batch is) when it holds no
 * backslash, i.e. nothing that COPY escaped; otherwise it is decoded and unescaped like the rest.
 * A stored JSON document then goes to the output without a UTF-8 decode and re-encode (most of
 * the worker's time for a pass-through export, a profile being ~1 KB).
 */
export async function* copyRowBatchesRaw(stream: Readable, rawColumn: number): AsyncGenerator<Array<Array<string | Buffer | null>>> {
  let carry: Buffer | undefined;
  // Escaped tabs and newlines are two characters (\t, \n), so raw ones are separators.
  const decode = (buf: Buffer, start: number, end: number) => field(buf.toString('utf8', start, end));
  const rowAt = (buf: Buffer, start: number, nl: number) => {
    const row: Array<string | Buffer | null> = [];
    for (let from = start, column = 0; ; column++) {
      let tab = buf.indexOf(TAB, from);
      if (tab < 0 || tab > nl) tab = nl;
      if (column === rawColumn) {
        const backslash = buf.indexOf(BACKSLASH, from);
        row.push(backslash < 0 || backslash >= tab ? buf.subarray(from, tab) : decode(buf, from, tab));
      } else {
        row.push(decode(buf, from, tab));
      }
      if (tab === nl) return row;
      from = tab + 1;
    }
  };
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    const rows: Array<Array<string | Buffer | null>> = [];
    let start = 0;
    if (carry) {
      // Only the row cut by the previous chunk is joined, not the whole chunk.
      const nl = buf.indexOf(NEWLINE);
      if (nl < 0) {
        carry = Buffer.concat([carry, buf]);
        continue;
      }
      const joined = Buffer.concat([carry, buf.subarray(0, nl)]);
      rows.push(rowAt(joined, 0, joined.length));
      carry = undefined;
      start = nl + 1;
    }
    for (let nl = buf.indexOf(NEWLINE, start); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      rows.push(rowAt(buf, start, nl));
      start = nl + 1;
    }
    carry = start < buf.length ? buf.subarray(start) : undefined;
    if (rows.length) yield rows;
  }
  if (carry) yield [rowAt(carry, 0, carry.length)];
}

/** A SQL string literal (standard_conforming_strings is on: only quotes need doubling). */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new Error('NUL in SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}
