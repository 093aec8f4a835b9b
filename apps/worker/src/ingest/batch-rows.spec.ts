import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DEFAULT_RECORD_LIMITS } from '@sx/ingest';
import type { FragmentRow } from '@sx/persistence';
import { BatchRowLimits, MAX_LISTED_ERRORS, produceBatchRows } from './batch-rows';

const limits: BatchRowLimits = { ...DEFAULT_RECORD_LIMITS, maxBatchRecords: 1000 };
const person = (id: string, extra: Record<string, unknown> = {}) => ({ identityMap: { Email: [{ id: `${id}@example.com` }] }, ...extra });
const lines = (records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const file = (name: string, body: string | Buffer) => ({ name, open: async () => Readable.from([Buffer.from(body)]) });

async function produce(files: Array<ReturnType<typeof file>>, l = limits) {
  const rows: FragmentRow[] = [];
  const report = await produceBatchRows('profile', files, l, { write: (r) => void rows.push(r) });
  return { rows, report };
}

describe('produceBatchRows', () => {
  it('writes one row per valid record, across files, gzip or not', async () => {
    const { rows, report } = await produce([file('a.json', lines([person('a'), person('b')])), file('b.json.gz', gzipSync(lines([person('c')])))]);
    expect(report).toEqual({ recordCount: 3, failedRecordCount: 0, errors: [] });
    expect(rows.map((r) => r.primaryIdentity)).toEqual(['Email:a@example.com', 'Email:b@example.com', 'Email:c@example.com']);
  });

  it('stores a record of a pretty-printed JSON array on one line, as the same JSON', async () => {
    const records = [person('a', { segmentMembership: { ups: { s1: { status: 'realized' } } }, note: 'x\ny' }), person('b')];
    const { rows, report } = await produce([file('pretty.json', JSON.stringify(records, null, 2).replace(/\n/g, '\r\n'))]);
    expect(report).toMatchObject({ recordCount: 2, failedRecordCount: 0 });
    for (const [i, row] of rows.entries()) {
      expect(row.json).not.toMatch(/[\r\n]/);
      expect(JSON.parse(row.json)).toEqual(records[i]);
    }
    // The membership offset is into the stored (one-line) text.
    expect(Buffer.from(rows[0].json).subarray(rows[0].membershipAt).toString().startsWith('"segmentMembership"')).toBe(true);
  });

  it('names file and line of every refusal, and writes nothing after the first', async () => {
    const { rows, report } = await produce([file('a.json', lines([person('a'), '{"x":', person('b'), { noIdentity: true }]))]);
    expect(rows).toHaveLength(1);
    expect(report.failedRecordCount).toBe(2);
    expect(report.errors).toEqual([
      { code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 2 },
      { code: 'INVALID_RECORD', description: 'identityMap is missing or not an object', file: 'a.json', line: 4 },
    ]);
  });

  it("passes the reader's refusals on with the file name (too large, too deep)", async () => {
    const { report } = await produce([file('big.json', lines([person('a', { pad: 'x'.repeat(2000) }), person('b', { deep: JSON.parse('['.repeat(80) + ']'.repeat(80)) })]))], {
      ...limits,
      maxRecordBytes: 1024,
    });
    expect(report.errors.map((e) => [e.code, e.file, e.line])).toEqual([
      ['RECORD_TOO_LARGE', 'big.json', 1],
      ['RECORD_TOO_DEEP', 'big.json', 2],
    ]);
  });

  it('fails an unreadable file with MALFORMED_FILE and goes on counting the next', async () => {
    const { report } = await produce([file('bad.gz', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9])), file('ok.json', lines([person('a')]))]);
    expect(report.errors).toEqual([expect.objectContaining({ code: 'MALFORMED_FILE', file: 'bad.gz' })]);
    expect(report.recordCount).toBe(1);
  });

  it('stops reading at the batch record limit', async () => {
    const { report } = await produce([file('a.json', lines(Array.from({ length: 50 }, (_, i) => person(`p${i}`))))], { ...limits, maxBatchRecords: 10 });
    expect(report.errors).toEqual([{ code: 'BATCH_TOO_LARGE', description: 'the batch holds more than 10 records', file: 'a.json', line: 11 }]);
    expect(report.recordCount).toBe(10);
  });

  it('lists at most MAX_LISTED_ERRORS refusals but counts them all; an empty batch fails', async () => {
    const { report } = await produce([file('a.json', lines(Array.from({ length: MAX_LISTED_ERRORS + 5 }, () => '{')))]);
    expect(report.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(report.failedRecordCount).toBe(MAX_LISTED_ERRORS + 5);
    expect((await produce([])).report.errors).toEqual([{ code: 'EMPTY_BATCH', description: 'the batch has no files' }]);
    expect((await produce([file('blank.json', '\n\n')])).report.errors).toEqual([{ code: 'EMPTY_BATCH', description: 'the batch files hold no records' }]);
  });
});

describe('produceBatchRows with partialIngestionPercent', () => {
  /** A FailedRowsSink that keeps what it is given (the stored one is covered in failed-rows.spec.ts). */
  const failedRows = () => {
    const seen: Array<{ code: string; file: string; line?: number; text?: string }> = [];
    let closed = false;
    return {
      seen,
      get closed() {
        return closed;
      },
      sink: {
        write: async (e: { code: string; file: string; line?: number }, text?: string) => void seen.push({ code: e.code, file: e.file, line: e.line, text }),
        close: async () => {
          closed = true;
          return seen.length ? [{ name: 'a.json.failed.jsonl', storageKey: 'k', sizeBytes: 1 }] : [];
        },
        abort: async () => undefined,
      },
    };
  };
  const twenty = (bad: number) => lines(Array.from({ length: 20 }, (_, i) => (i < bad ? (i % 2 ? { noIdentity: i } : `{"broken${i}":`) : person(`p${i}`))));

  it('skips the refused records within the threshold, writes the rest and sends the refused ones on', async () => {
    const out = failedRows();
    const rows: FragmentRow[] = [];
    const report = await produceBatchRows(
      'profile',
      [file('a.json', twenty(1))],
      limits,
      { write: (r) => void rows.push(r) },
      { partialIngestionPercent: 10, failedRows: out.sink },
    );
    expect(report).toMatchObject({ recordCount: 19, failedRecordCount: 1, withinThreshold: true, failedFiles: [{ name: 'a.json.failed.jsonl' }] });
    expect(report.errors).toEqual([{ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 1 }]);
    expect(rows).toHaveLength(19);
    expect(out.seen).toEqual([{ code: 'MALFORMED_JSON', file: 'a.json', line: 1, text: '{"broken0":' }]);
    expect(out.closed).toBe(true);
  });

  it('is over the threshold above it (5 of 20 at 10%), at it exactly within (2 of 20)', async () => {
    const over = await produceBatchRows('profile', [file('a.json', twenty(5))], limits, { write: () => undefined }, { partialIngestionPercent: 10, failedRows: failedRows().sink });
    expect(over).toMatchObject({ recordCount: 15, failedRecordCount: 5, withinThreshold: false });
    expect(over.failedFiles).toBeUndefined();
    expect(over.errors.map((e) => [e.code, e.line])).toEqual([
      ['MALFORMED_JSON', 1],
      ['INVALID_RECORD', 2],
      ['MALFORMED_JSON', 3],
      ['INVALID_RECORD', 4],
      ['MALFORMED_JSON', 5],
    ]);
    const exact = await produceBatchRows('profile', [file('a.json', twenty(2))], limits, { write: () => undefined }, { partialIngestionPercent: 10 });
    expect(exact).toMatchObject({ recordCount: 18, failedRecordCount: 2, withinThreshold: true });
  });

  it('still fails a file that cannot be read, and a batch over its record limit, whatever the threshold', async () => {
    const broken = await produceBatchRows(
      'profile',
      [file('a.json', `[${JSON.stringify(person('a'))},{"b":`)],
      limits,
      { write: () => undefined },
      { partialIngestionPercent: 100 },
    );
    expect(broken.withinThreshold).toBeUndefined();
    expect(broken.errors).toEqual([expect.objectContaining({ code: 'MALFORMED_FILE', file: 'a.json' })]);
    const big = await produceBatchRows('profile', [file('a.json', twenty(0))], { ...limits, maxBatchRecords: 5 }, { write: () => undefined }, { partialIngestionPercent: 100 });
    expect(big.withinThreshold).toBeUndefined();
    expect(big.errors[0].code).toBe('BATCH_TOO_LARGE');
  });

  it('without a threshold behaves as before: nothing is written after the first refusal, no verdict', async () => {
    const rows: FragmentRow[] = [];
    const report = await produceBatchRows('profile', [file('a.json', lines([person('a'), '{', person('b')]))], limits, { write: (r) => void rows.push(r) });
    expect(rows).toHaveLength(1);
    expect(report).toEqual({ recordCount: 2, failedRecordCount: 1, errors: [expect.objectContaining({ code: 'MALFORMED_JSON', line: 2 })] });
  });
});
