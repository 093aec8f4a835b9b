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
    const { report } = await produce([file('big.json', lines([person('a', { pad: 'x'.repeat(2000) }), person('b', { deep: JSON.parse('['.repeat(80) + ']'.repeat(80)) })]))], { ...limits, maxRecordBytes: 1024 });
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
