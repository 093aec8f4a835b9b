import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileBytes } from './file-bytes';
import { deeperThan, hasNulEscape } from './record-checks';
import { DEFAULT_RECORD_LIMITS, MalformedFile, RawRecord, RecordLimits, RefusedRecord, isRefused, readRecords } from './index';

type Out = RawRecord | RefusedRecord;

function chunked(input: string | Buffer, chunkSize: number): Readable {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function collect(input: string | Buffer, chunkSize = 7, limits: Partial<RecordLimits> = {}): Promise<Out[]> {
  const out: Out[] = [];
  for await (const r of readRecords(chunked(input, chunkSize), { ...DEFAULT_RECORD_LIMITS, ...limits })) out.push(r);
  return out;
}

/** Settles as `p` does, or rejects after `ms`: a hang fails the test instead of the suite's timeout. */
function within<T>(p: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
}

const texts = (records: Out[]) => records.map((r) => (isRefused(r) ? r.refused.code : r.text));

describe('readRecords: formats', () => {
  it('reads JSON Lines with line numbers, skipping blank lines and CRLF', async () => {
    const records = await collect('{"a":1}\r\n\n{"b":"x\\ny"}\n  \n{"c":[1,2]}');
    expect(records).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":"x\\ny"}', line: 3 },
      { text: '{"c":[1,2]}', line: 5 },
    ]);
  });

  it('counts leading blank lines', async () => {
    expect(await collect('\n\r\n  \n{"a":1}\n', 1)).toEqual([{ text: '{"a":1}', line: 4 }]);
    expect(await collect('\n\n[1,\n2]', 1)).toEqual([
      { text: '1', line: 3 },
      { text: '2', line: 4 },
    ]);
  });

  it.each([1, 3, 64])('reads a JSON array whose elements span chunks of %d, with tricky strings', async (size) => {
    const text = '[\n {"a":"]},[","b":{"c":[1,{"d":"\\"}"}]}},\n {"e":"\\\\"} ,\n 3, "s,t", null\n]\n';
    const records = (await collect(text, size)) as RawRecord[];
    expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: ']},[', b: { c: [1, { d: '"}' }] } }, { e: '\\' }, 3, 's,t', null]);
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 4, 4]);
  });

  it('reads gzip, and a UTF-8 byte order mark', async () => {
    const records = (await collect(gzipSync(Buffer.from('\ufeff{"a":"é"}\n{"b":2}\n')), 5)) as RawRecord[];
    expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: 'é' }, { b: 2 }]);
    expect(await collect('\ufeff[{"a":1}]', 1)).toEqual([{ text: '{"a":1}', line: 1 }]);
  });

  it('reads a gzip JSON array, gzip split in one-byte chunks', async () => {
    const records = await collect(gzipSync(Buffer.from('[\n{"a":1},\n{"b":2}\n]')), 1);
    expect(records).toEqual([
      { text: '{"a":1}', line: 2 },
      { text: '{"b":2}', line: 3 },
    ]);
  });

  it('rejects an unclosed array and trailing text', async () => {
    await expect(collect('[{"a":1},')).rejects.toBeInstanceOf(MalformedFile);
    await expect(collect('[{"a":1}] x')).rejects.toThrow(/after the end/);
  });

  it('rejects a JSON array cut inside an element, naming the last line', async () => {
    const e = await failure(collect('[{"a":1},\n{"b":', 4));
    expect(e).toBeInstanceOf(MalformedFile);
    expect(e).toMatchObject({ message: 'the JSON array is not closed', line: 2 });
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect('')).toEqual([]);
    expect(await collect('  \n')).toEqual([]);
    expect(await collect(gzipSync(Buffer.alloc(0)))).toEqual([]);
  });

  it('uses the default limits when given none', async () => {
    const out: Out[] = [];
    for await (const r of readRecords(chunked('{"a":1}', 3))) out.push(r);
    expect(out).toEqual([{ text: '{"a":1}', line: 1 }]);
  });
});

describe('readRecords: corrupt gzip (issue #9: the caller hung)', () => {
  const good = gzipSync(Buffer.from('{"a":1}\n'.repeat(1000)));

  it.each([
    ['random bytes after the header', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(5000)]), /^the file is not valid gzip: /],
    ['a bad header', Buffer.from([0x1f, 0x8b, 0x07, 0x00, 0, 0, 0, 0, 0, 3, 1, 2, 3]), /^the file is not valid gzip: /],
    ['a bad CRC', Buffer.from(good).fill(0xff, good.length - 8, good.length - 7), /^the file is not valid gzip: incorrect data check/],
    ['a truncated stream', good.subarray(0, good.length >> 1), /^the gzip stream is truncated$/],
    ['only the magic bytes', Buffer.from([0x1f, 0x8b]), /^the gzip stream is truncated$/],
  ])('fails promptly with MalformedFile on %s, destroying the input', async (_, bytes, message) => {
    for (const size of [7, 65536]) {
      const input = chunked(bytes, size);
      const e = await within(
        failure(
          (async () => {
            for await (const _r of readRecords(input, DEFAULT_RECORD_LIMITS));
          })(),
        ),
      );
      expect(e).toBeInstanceOf(MalformedFile);
      expect((e as Error).message).toMatch(message);
      expect(input.destroyed).toBe(true);
    }
  });

  it('names the decompressed line where a truncated stream stops', async () => {
    const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, r: randomBytes(8).toString('hex') })).join('\n'));
    const gz = gzipSync(text);
    const e = (await failure(collect(gz.subarray(0, gz.length - 100), 1000))) as MalformedFile;
    expect(e).toBeInstanceOf(MalformedFile);
    expect(e.line).toBeGreaterThan(2000);
    expect(e.line).toBeLessThanOrEqual(3000);
  });

  it('lets an error of the input itself through unchanged (it is not the file’s fault)', async () => {
    const boom = new Error('disk gone');
    const input = new Readable({
      read() {
        this.destroy(boom);
      },
    });
    await expect(
      within(
        (async () => {
          for await (const _r of readRecords(input));
        })(),
      ),
    ).rejects.toBe(boom);
  });
});

describe('readRecords: gzip limits', () => {
  // 50 MB of zeros is about 50 KB of gzip: a ratio near 1000.
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));

  it('stops a gzip bomb soon after the first MiB, by its ratio', async () => {
    let decompressed = 0;
    const started = Date.now();
    const e = await failure(
      (async () => {
        for await (const c of fileBytes(chunked(bomb, 65536), DEFAULT_RECORD_LIMITS)) decompressed += c.length;
      })(),
    );
    expect(e).toMatchObject({ message: 'the gzip file expands more than maxGzipRatio (200) times its compressed size' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(decompressed).toBeGreaterThanOrEqual(1024 * 1024 - 64 * 1024);
    expect(decompressed).toBeLessThan(3 * 1024 * 1024);
  });

  it('fails the file with MalformedFile naming the limit, destroying the input', async () => {
    const input = chunked(bomb, 65536);
    const e = await within(
      failure(
        (async () => {
          for await (const _r of readRecords(input, DEFAULT_RECORD_LIMITS));
        })(),
      ),
      1000,
    );
    expect(e).toBeInstanceOf(MalformedFile);
    expect((e as Error).message).toContain('maxGzipRatio (200)');
    expect(input.destroyed).toBe(true);
  });

  it('does not judge the ratio before the first MiB', async () => {
    const text = '{"a":1}\n'.repeat(100_000); // 800 KB, compresses well over 200 times
    const gz = gzipSync(Buffer.from(text));
    expect(text.length / gz.length).toBeGreaterThan(200);
    expect(await collect(gz, 65536, { maxGzipRatio: 200 })).toHaveLength(100_000);
  });

  it('fails once the decompressed total exceeds maxDecompressedBytes', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, r: randomBytes(16).toString('hex') })).join('\n');
    const gz = gzipSync(Buffer.from(text));
    await expect(collect(gz, 1024, { maxDecompressedBytes: text.length })).resolves.toHaveLength(2000);
    const e = await failure(collect(gz, 1024, { maxDecompressedBytes: 20_000 }));
    expect(e).toBeInstanceOf(MalformedFile);
    expect((e as Error).message).toBe('the decompressed file is larger than maxDecompressedBytes (20000 bytes)');
  });
});

describe('readRecords: maxRecordBytes', () => {
  const limits = { maxRecordBytes: 100 };
  const sized = (n: number) => `{"s":"${'x'.repeat(n - 8)}"}`;

  it('refuses a JSON Lines record longer than the limit, with its line, and reads on', async () => {
    for (const size of [1, 7, 1000]) {
      const records = await collect(`${sized(100)}\r\n${sized(101)}\n{"b":2}\n${sized(5000)}`, size, limits);
      expect(records).toEqual([
        { text: sized(100), line: 1 },
        { refused: { code: 'RECORD_TOO_LARGE', description: 'the record is larger than maxRecordBytes (100 bytes)' }, line: 2 },
        { text: '{"b":2}', line: 3 },
        { refused: { code: 'RECORD_TOO_LARGE', description: 'the record is larger than maxRecordBytes (100 bytes)' }, line: 4 },
      ]);
    }
  });

  it('refuses a JSON array element longer than the limit, with its line, and reads on', async () => {
    for (const size of [1, 7, 1000]) {
      const big = `{"s":"]},[${'x'.repeat(200)}","t":[{"u":"\\""}]}`;
      const records = await collect(`[\n${sized(100)},\n${big},\n"${'y'.repeat(150)}",\n{"b":2}]`, size, limits);
      expect(records).toEqual([
        { text: sized(100), line: 2 },
        { refused: { code: 'RECORD_TOO_LARGE', description: 'the record is larger than maxRecordBytes (100 bytes)' }, line: 3 },
        { refused: { code: 'RECORD_TOO_LARGE', description: 'the record is larger than maxRecordBytes (100 bytes)' }, line: 4 },
        { text: '{"b":2}', line: 5 },
      ]);
    }
  });

  it('never holds a long record whole: a 16 MiB line is skipped, fast', async () => {
    // Holding it would show as a Buffer.concat past the limit (or, as before, as a string
    // rebuilt at every chunk: seconds).
    const concat = jest.spyOn(Buffer, 'concat');
    try {
      async function* file(open: string, close: string) {
        yield Buffer.from(`${open}{"a":1}${open === '[' ? ',' : '\n'}"`);
        for (let i = 0; i < 1024; i++) yield Buffer.alloc(16 * 1024, i % 2 ? 'x' : '[');
        yield Buffer.from(`"${open === '[' ? ',' : '\n'}{"b":2}${close}`);
      }
      const started = Date.now();
      for (const [open, close] of [
        ['', ''],
        ['[', ']'],
      ]) {
        const out: Out[] = [];
        for await (const r of readRecords(Readable.from(file(open, close)), { ...DEFAULT_RECORD_LIMITS, maxRecordBytes: 1000 })) out.push(r);
        expect(texts(out)).toEqual(['{"a":1}', 'RECORD_TOO_LARGE', '{"b":2}']);
      }
      expect(Date.now() - started).toBeLessThan(2000);
      const largest = Math.max(0, ...concat.mock.results.map((r) => (r.value as Buffer).length));
      expect(largest).toBeLessThanOrEqual(1001);
    } finally {
      concat.mockRestore();
    }
  });
});

describe('readRecords: maxRecordDepth', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  it('refuses a record nested deeper than the limit, with its line', async () => {
    // (A first line starting with '[' would make the file a JSON array.)
    const records = await collect(`${objects(64)}\n${objects(65)}\n${nested(100_000)}\n${nested(64)}`, 4096);
    expect(texts(records)).toEqual([objects(64), 'RECORD_TOO_DEEP', 'RECORD_TOO_DEEP', nested(64)]);
    expect(records[1]).toEqual({ refused: { code: 'RECORD_TOO_DEEP', description: 'the record is nested deeper than maxRecordDepth (64)' }, line: 2 });
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a JSON array element nested deeper than the limit', async () => {
    const records = await collect(`[${objects(64)},\n${nested(65)},\n${nested(100_000)},\n{"ok":1}]`, 100);
    expect(texts(records)).toEqual([objects(64), 'RECORD_TOO_DEEP', 'RECORD_TOO_DEEP', '{"ok":1}']);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('does not count brackets inside strings, nor a wide but shallow record', async () => {
    const inString = `{"a":"${'[{'.repeat(100)}","b":"\\"${'['.repeat(100)}\\\\"}`;
    const wide = `{"a":[${'{"b":[1]},'.repeat(200)}{}]}`; // depth 4, 602 openers
    expect(texts(await collect(`${inString}\n${wide}`, 7, { maxRecordDepth: 4 }))).toEqual([inString, wide]);
    expect(texts(await collect(`[${inString},${wide}]`, 7, { maxRecordDepth: 4 }))).toEqual([inString, wide]);
    expect(texts(await collect(`${inString}\n${wide}`, 7, { maxRecordDepth: 3 }))).toEqual([inString, 'RECORD_TOO_DEEP']);
    expect(texts(await collect(`[${inString},${wide}]`, 7, { maxRecordDepth: 3 }))).toEqual([inString, 'RECORD_TOO_DEEP']);
  });

  it('deeperThan follows strings and escapes', () => {
    expect(deeperThan('[[1]]', 2)).toBe(false);
    expect(deeperThan('[[[1]]]', 2)).toBe(true);
    expect(deeperThan('["[[[[", "\\"[[[["]', 2)).toBe(false);
    expect(deeperThan('["\\\\", [[1]]]', 2)).toBe(true); // the string ends after an escaped backslash
    expect(deeperThan('[[]] [[]] [[]]', 2)).toBe(false);
  });
});

describe('readRecords: invalid UTF-8 and NUL', () => {
  const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('accepts a literal U+FFFD, and a 3-byte character split across chunks', async () => {
    expect(texts(await collect('{"a":"\ufffd"}\n{"b":"€"}\n', 1))).toEqual(['{"a":"\ufffd"}', '{"b":"€"}']);
    expect(texts(await collect('[{"a":"\ufffd"},"€"]', 1))).toEqual(['{"a":"\ufffd"}', '"€"']);
  });

  it('refuses a record with a lone 0xff byte, with its line', async () => {
    const refused = { refused: { code: 'INVALID_RECORD', description: 'the record is not valid UTF-8' }, line: 2 };
    for (const size of [1, 5, 1000]) {
      expect(await collect(bytes('{"a":1}\n{"b":"', [0xff], '"}\n{"c":"€"}'), size)).toEqual([{ text: '{"a":1}', line: 1 }, refused, { text: '{"c":"€"}', line: 3 }]);
      expect(await collect(bytes('[{"a":1},\n{"b":"', [0xe2, 0x82], '"},{"c":"€"}]'), size)).toEqual([{ text: '{"a":1}', line: 1 }, refused, { text: '{"c":"€"}', line: 2 }]);
    }
  });

  it('refuses a raw NUL byte, even outside strings, and the \\u0000 escape', async () => {
    const records = await collect(bytes('{"a":1}', [0], '\n{"b":"\\u0000"}\n{"c":"\\\\u0000"}\n[', [0], ']'), 3);
    expect(records).toEqual([
      { refused: { code: 'INVALID_RECORD', description: 'the record contains a NUL byte' }, line: 1 },
      { refused: { code: 'INVALID_RECORD', description: 'the record contains a NUL character (\\u0000)' }, line: 2 },
      { text: '{"c":"\\\\u0000"}', line: 3 },
      { refused: { code: 'INVALID_RECORD', description: 'the record contains a NUL byte' }, line: 4 },
    ]);
    expect(hasNulEscape('"\\\\\\u0000"')).toBe(true);
    expect(hasNulEscape('"\\\\u0000"')).toBe(false);
  });
});

describe('readRecords: abandoned by its consumer', () => {
  it.each([
    ['JSON Lines', Buffer.from('{"a":1}\n'.repeat(100_000))],
    ['gzip', gzipSync(Buffer.from('{"a":1}\n'.repeat(100_000)))],
  ])('destroys the input (%s)', async (_, file) => {
    const input = chunked(file, 4096);
    const records = readRecords(input, DEFAULT_RECORD_LIMITS);
    expect((await records.next()).value).toEqual({ text: '{"a":1}', line: 1 });
    await within(records.return(undefined));
    expect(input.destroyed).toBe(true);
  });

  it('destroys the input when abandoned before the first record', async () => {
    const input = chunked('{"a":1}', 3);
    await readRecords(input).return(undefined);
    expect(input.destroyed).toBe(true);
  });
});
