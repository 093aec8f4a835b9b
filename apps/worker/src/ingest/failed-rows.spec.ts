import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDatasetStorage } from '@sx/storage';
import { StoredFailedRows, failedRowsName } from './failed-rows';

describe('StoredFailedRows', () => {
  let root: string;
  let storage: LocalDatasetStorage;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'failed-rows-'));
    storage = new LocalDatasetStorage(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes one JSON Lines file per input file, the refused text kept as a string', async () => {
    const rows = new StoredFailedRows(storage, (name) => `b/.failed/${name}`);
    await rows.write({ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 2 }, '{"x":');
    await rows.write({ code: 'RECORD_TOO_LARGE', description: 'too large', file: 'a.json', line: 5 });
    await rows.write({ code: 'INVALID_RECORD', description: 'no identity', file: 'b.json', line: 1 }, '{}');
    const files = await rows.close();
    expect(files.map((f) => [f.name, f.storageKey])).toEqual([
      [failedRowsName('a.json'), 'b/.failed/a.json.failed.jsonl'],
      ['b.json.failed.jsonl', 'b/.failed/b.json.failed.jsonl'],
    ]);
    const a = await readFile(join(root, files[0].storageKey), 'utf8');
    expect(files[0].sizeBytes).toBe(Buffer.byteLength(a));
    expect(
      a
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: 'a.json', line: 2, record: '{"x":' },
      { code: 'RECORD_TOO_LARGE', description: 'too large', file: 'a.json', line: 5 },
    ]);
    expect(await readFile(join(root, files[1].storageKey), 'utf8')).toBe(
      JSON.stringify({ code: 'INVALID_RECORD', description: 'no identity', file: 'b.json', line: 1, record: '{}' }) + '\n',
    );
  });

  it('streams: many large refused records pass through without being held', async () => {
    const rows = new StoredFailedRows(storage, (name) => `b/.failed/${name}`);
    const text = `{"s":"${'x'.repeat(64 * 1024)}"`;
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 2000; i++) await rows.write({ code: 'MALFORMED_JSON', description: 'not JSON', file: 'big.json', line: i + 1 }, text);
    const [file] = await rows.close();
    expect(file.sizeBytes).toBeGreaterThan(2000 * 64 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('abort leaves no file behind and close after nothing lists none', async () => {
    const rows = new StoredFailedRows(storage, (name) => `b/.failed/${name}`);
    await rows.write({ code: 'INVALID_RECORD', description: 'x', file: 'a.json', line: 1 }, '{}');
    await rows.abort();
    expect(await storage.size('b/.failed/a.json.failed.jsonl')).toBeUndefined();
    expect(await new StoredFailedRows(storage, (n) => n).close()).toEqual([]);
  });
});
