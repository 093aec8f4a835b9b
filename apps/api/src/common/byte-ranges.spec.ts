import { coverageProblems, parseContentRange, parseRange } from './byte-ranges';

describe('parseContentRange (a large-file chunk)', () => {
  it.each([
    ['bytes 0-99', { ok: true, start: 0, end: 99 }],
    ['bytes 100-199/1000', { ok: true, start: 100, end: 199, total: 1000 }],
    ['bytes 5-5/*', { ok: true, start: 5, end: 5 }],
    ['BYTES 0-0', { ok: true, start: 0, end: 0 }],
    ['bytes=10-20', { ok: true, start: 10, end: 20 }],
    ['  bytes 1-2/3  ', { ok: true, start: 1, end: 2, total: 3 }],
  ])('%s', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });

  it.each([
    [undefined, /is required/],
    ['', /is required/],
    ['0-99', /must be "bytes/],
    ['bytes 0-', /must be "bytes/],
    ['bytes -5', /must be "bytes/],
    ['bytes a-b', /must be "bytes/],
    ['bytes 0-99/100/2', /must be "bytes/],
    ['bytes 1234567890123456-1234567890123457', /must be "bytes/],
    ['bytes 10-5', /first byte \(10\) is after the last \(5\)/],
    ['bytes 0-100/100', /last byte \(100\) is not below the total size \(100\)/],
  ])('refuses %j', (header, message) => {
    const r = parseContentRange(header);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });

  it('refuses the header given twice', () => {
    expect(parseContentRange(['bytes 0-1', 'bytes 2-3'])).toEqual({ ok: false, message: 'must be given once' });
  });
});

describe('parseRange (a download of `size` bytes)', () => {
  const size = 1000;
  it.each([
    ['bytes=0-99', { kind: 'one', start: 0, end: 99 }],
    ['bytes=900-', { kind: 'one', start: 900, end: 999 }],
    ['bytes=-100', { kind: 'one', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'one', start: 0, end: 999 }],
    ['bytes=990-5000', { kind: 'one', start: 990, end: 999 }],
    ['bytes=999-999', { kind: 'one', start: 999, end: 999 }],
    ['Bytes=0-0', { kind: 'one', start: 0, end: 0 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'multiple' }],
    ['bytes=0-1, 2000-3000', { kind: 'multiple' }],
    ['items=0-1', { kind: 'none' }],
    ['bytes=5-1', { kind: 'none' }],
    ['bytes=-', { kind: 'none' }],
    ['bytes=abc', { kind: 'none' }],
    ['bytes=', { kind: 'none' }],
  ])('%s', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it('no header (or a repeated one) is no range', () => {
    expect(parseRange(undefined, size)).toEqual({ kind: 'none' });
    expect(parseRange(['bytes=0-1', 'bytes=2-3'], size)).toEqual({ kind: 'none' });
  });

  it('nothing of an empty file can be satisfied', () => {
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('coverageProblems (chunks sorted by start)', () => {
  it('accepts chunks that cover the file exactly', () => {
    expect(
      coverageProblems(
        [
          { start: 0, end: 9 },
          { start: 10, end: 19 },
          { start: 20, end: 24 },
        ],
        25,
      ),
    ).toEqual([]);
  });
  it('names a gap, an overlap and a missing tail', () => {
    expect(
      coverageProblems(
        [
          { start: 0, end: 9 },
          { start: 15, end: 19 },
        ],
        20,
      ),
    ).toEqual(['bytes 10-14 are missing']);
    expect(
      coverageProblems(
        [
          { start: 0, end: 9 },
          { start: 5, end: 19 },
        ],
        20,
      ),
    ).toEqual(['bytes 5-9 were sent more than once (overlapping chunks)']);
    expect(coverageProblems([{ start: 0, end: 9 }], 30)).toEqual(['bytes 10-29 are missing']);
    expect(coverageProblems([{ start: 3, end: 9 }], 10)).toEqual(['bytes 0-2 are missing']);
  });
  it('a chunk inside another is an overlap of its whole range', () => {
    expect(
      coverageProblems(
        [
          { start: 0, end: 19 },
          { start: 5, end: 9 },
        ],
        20,
      ),
    ).toEqual(['bytes 5-9 were sent more than once (overlapping chunks)']);
  });
});
