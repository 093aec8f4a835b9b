/**
 * What every record must pass before it is handed out, checked on its own bytes: valid UTF-8,
 * no NUL (Postgres json cannot store it), not nested deeper than the limit.
 */
import { isUtf8 } from 'node:buffer';
import { RawRecord, RecordLimits, RefusedRecord } from './records';

const OPEN_BRACE = '{';
const OPEN_BRACKET = '[';

function refusal(code: RefusedRecord['refused']['code'], description: string, line: number): RefusedRecord {
  return { refused: { code, description }, line };
}

export function tooLarge(limits: RecordLimits, line: number): RefusedRecord {
  return refusal('RECORD_TOO_LARGE', `the record is larger than maxRecordBytes (${limits.maxRecordBytes} bytes)`, line);
}

export function tooDeep(limits: RecordLimits, line: number): RefusedRecord {
  return refusal('RECORD_TOO_DEEP', `the record is nested deeper than maxRecordDepth (${limits.maxRecordDepth})`, line);
}

/**
 * The record in `bytes`, or why not. `depthChecked`: the caller already measured its depth (the
 * JSON array splitter tracks it for free).
 */
export function checkRecord(bytes: Buffer, line: number, limits: RecordLimits, depthChecked: boolean): RawRecord | RefusedRecord {
  // Decoding would silently turn bad bytes into U+FFFD; a literal U+FFFD (EF BF BD) is valid and passes.
  if (!isUtf8(bytes)) return refusal('INVALID_RECORD', 'the record is not valid UTF-8', line);
  // JSON.parse refuses a raw NUL in a string but not between tokens, e.g. `{"a":1}\0`.
  if (bytes.indexOf(0) >= 0) return refusal('INVALID_RECORD', 'the record contains a NUL byte', line);
  const text = bytes.toString('utf8');
  if (!depthChecked && deeperThan(text, limits.maxRecordDepth)) return tooDeep(limits, line);
  if (hasNulEscape(text)) return refusal('INVALID_RECORD', 'the record contains a NUL character (\\u0000)', line);
  return { text, line };
}

/** Whether the JSON text nests objects/arrays deeper than `limit` (brackets inside strings do not count). */
export function deeperThan(text: string, limit: number): boolean {
  // Nesting never exceeds the number of opening brackets: most records have fewer than the limit,
  // and counting them by native indexOf hops costs a fraction of the exact scan below.
  let openers = 0;
  for (let i = text.indexOf(OPEN_BRACE); i >= 0 && openers <= limit; i = text.indexOf(OPEN_BRACE, i + 1)) openers++;
  for (let i = text.indexOf(OPEN_BRACKET); i >= 0 && openers <= limit; i = text.indexOf(OPEN_BRACKET, i + 1)) openers++;
  if (openers <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = closingQuote(text, i + 1);
      if (i < 0) return false; // an unterminated string: JSON.parse refuses the record anyway
    } else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Index of the quote that closes a string whose text starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let q = text.indexOf('"', from); q >= 0; q = text.indexOf('"', q + 1)) {
    let k = q - 1;
    while (k >= from && text.charCodeAt(k) === 92) k--;
    if ((q - 1 - k) % 2 === 0) return q; // an even run of backslashes escapes only itself
  }
  return -1;
}

/** Whether the text holds the escape `\u0000` (not `\\u0000`, an escaped backslash then "u0000"). */
export function hasNulEscape(text: string): boolean {
  for (let i = text.indexOf('\\u0000'); i >= 0; i = text.indexOf('\\u0000', i + 1)) {
    let k = i - 1;
    while (k >= 0 && text.charCodeAt(k) === 92) k--;
    if ((i - 1 - k) % 2 === 0) return true;
  }
  return false;
}
