/**
 * The two byte-range headers of AEP's file APIs, parsed without HTTP types: Content-Range of a
 * large-file chunk (batch ingestion) and Range of a download (Data Access, RFC 9110 section 14).
 */

/** Bytes start..end, both included. */
export interface ByteRange {
  start: number;
  end: number;
}

export type ContentRange = { ok: true; start: number; end: number; total?: number } | { ok: false; message: string };

// 15 digits stay below Number.MAX_SAFE_INTEGER: every offset is exact.
const CONTENT_RANGE = /^bytes[ =](\d{1,15})-(\d{1,15})(?:\/(\d{1,15}|\*))?$/i;
const EXPECTED = 'must be "bytes {start}-{end}" or "bytes {start}-{end}/{total}" (byte offsets, both included)';

/** A chunk's `Content-Range: bytes a-b[/total]` (AEP documents `bytes a-b`; `/total` and `/*` are accepted). */
export function parseContentRange(header: string | string[] | undefined): ContentRange {
  if (header === undefined || header === '') return { ok: false, message: `is required: ${EXPECTED}` };
  if (Array.isArray(header)) return { ok: false, message: 'must be given once' };
  const m = CONTENT_RANGE.exec(header.trim());
  if (!m) return { ok: false, message: EXPECTED };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) return { ok: false, message: `the first byte (${start}) is after the last (${end})` };
  if (m[3] === undefined || m[3] === '*') return { ok: true, start, end };
  const total = Number(m[3]);
  if (end >= total) return { ok: false, message: `the last byte (${end}) is not below the total size (${total})` };
  return { ok: true, start, end, total };
}

/**
 * What a download answers for its Range header:
 * - `none`: no Range, another unit, or a malformed one (ignored, as RFC 9110 says): 200, the whole file;
 * - `multiple`: several ranges: 200 with the whole file (allowed by RFC 9110; no multipart here);
 * - `one`: 206 with those bytes (the end clamped to the file's last byte);
 * - `unsatisfiable`: 416 with `Content-Range: bytes *\/size`.
 */
export type RangeAnswer = { kind: 'none' } | { kind: 'multiple' } | ({ kind: 'one' } & ByteRange) | { kind: 'unsatisfiable' };

const SPEC = /^(\d{0,15})-(\d{0,15})$/;

export function parseRange(header: string | string[] | undefined, size: number): RangeAnswer {
  if (typeof header !== 'string') return { kind: 'none' };
  const m = /^bytes=(.*)$/i.exec(header.trim());
  if (!m) return { kind: 'none' };
  const specs = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const parsed = specs.map((s) => SPEC.exec(s));
  if (!specs.length || parsed.some((p) => !p || (p[1] === '' && p[2] === ''))) return { kind: 'none' };
  if (parsed.some((p) => p![1] !== '' && p![2] !== '' && Number(p![1]) > Number(p![2]))) return { kind: 'none' };
  if (specs.length > 1) return { kind: 'multiple' };
  const [, first, last] = parsed[0]!;
  if (first === '') {
    // Suffix: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'one', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'one', start, end };
}

/** Gaps and overlaps of chunks (sorted by start, then end) meant to cover 0..size-1 exactly. */
export function coverageProblems(chunks: ByteRange[], size: number): string[] {
  const problems: string[] = [];
  let next = 0; // the first byte not covered yet
  for (const c of chunks) {
    if (c.start > next) problems.push(`bytes ${next}-${c.start - 1} are missing`);
    else if (c.start < next) problems.push(`bytes ${c.start}-${Math.min(c.end, next - 1)} were sent more than once (overlapping chunks)`);
    next = Math.max(next, c.end + 1);
  }
  if (next < size) problems.push(`bytes ${next}-${size - 1} are missing`);
  return problems;
}
