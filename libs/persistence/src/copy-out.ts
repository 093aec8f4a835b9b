import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

const UNESCAPE = /\\(.)/g;
const UNESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/** One field of COPY's text format back to its value. */
export function unescapeCopyField(field: string): string {
  return field.indexOf('\\') < 0 ? field : field.replace(UNESCAPE, (_, c: string) => UNESCAPES[c] ?? c);
}

const field = (f: string): string | null => (f === '\\N' ? null : unescapeCopyField(f));

/**
 * The rows of a `COPY ... TO STDOUT` (text format) stream, as arrays of unescaped fields (NULL:
 * null), in batches: one batch per chunk read, so that consumers loop synchronously over rows.
 */
export async function* copyRowBatches(stream: Readable): AsyncGenerator<Array<Array<string | null>>> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + decoder.write(chunk as Buffer);
    const rows: Array<Array<string | null>> = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      // Escaped tabs and newlines are two characters (\t, \n), so raw ones are separators.
      rows.push(text.slice(start, nl).split('\t').map(field));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (rows.length) yield rows;
  }
  carry += decoder.end();
  if (carry) yield [carry.split('\t').map(field)];
}

/** A SQL string literal (standard_conforming_strings is on: only quotes need doubling). */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new Error('NUL in SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}
