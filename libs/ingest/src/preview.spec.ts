import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DEFAULT_RECORD_LIMITS } from './records';
import { RecordFileSource, previewTable } from './preview';

const file = (name: string, body: string | Buffer, opened: string[] = []): RecordFileSource => ({
  name,
  open: async () => {
    opened.push(name);
    return Readable.from([Buffer.from(body)]);
  },
});
const bounds = { rows: 100, bytes: 1024 * 1024 };

describe('previewTable', () => {
  it('answers top-level fields as columns in order of first appearance, values as strings', async () => {
    const text = ['{"a":"x","n":1.5,"o":{"k":[1,2]}}', '{"b":true,"a":"y","z":null}'].join('\n');
    expect(await previewTable([file('a.json', text)], bounds, DEFAULT_RECORD_LIMITS)).toEqual({
      columns: [
        { cid: 'c0', name: 'a' },
        { cid: 'c1', name: 'n' },
        { cid: 'c2', name: 'o' },
        { cid: 'c3', name: 'b' },
        { cid: 'c4', name: 'z' },
      ],
      rows: [
        { c0: 'x', c1: '1.5', c2: '{"k":[1,2]}' },
        { c3: 'true', c0: 'y', c4: 'null' },
      ],
    });
  });

  it('reads a pretty-printed JSON array and gzip, across files in order', async () => {
    const array = JSON.stringify([{ a: 1 }, { a: 2 }], null, 2);
    const table = await previewTable([file('1.json', array), file('2.json.gz', gzipSync('{"a":3}\n'))], bounds, DEFAULT_RECORD_LIMITS);
    expect(table.rows).toEqual([{ c0: '1' }, { c0: '2' }, { c0: '3' }]);
  });

  it('stops at the row bound without opening the next file', async () => {
    const opened: string[] = [];
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })).join('\n');
    const table = await previewTable([file('a.json', lines, opened), file('b.json', lines, opened)], { ...bounds, rows: 7 }, DEFAULT_RECORD_LIMITS);
    expect(table.rows.map((r) => r.c0)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(opened).toEqual(['a.json']);
  });

  it('never reads a file to its end: an endless file answers its first rows and is destroyed', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(Buffer.from('{"a":"' + 'x'.repeat(1000) + '"}\n'));
      },
    });
    const table = await previewTable([{ name: 'endless.json', open: async () => endless }], { ...bounds, rows: 10 }, DEFAULT_RECORD_LIMITS);
    expect(table.rows).toHaveLength(10);
    expect(produced).toBeLessThan(200);
    expect(endless.destroyed).toBe(true);
  });

  it('stops at the byte bound, but always takes the first row', async () => {
    const big = JSON.stringify({ s: 'x'.repeat(500) });
    expect((await previewTable([file('a.json', `${big}\n${big}\n${big}`)], { rows: 10, bytes: 1200 }, DEFAULT_RECORD_LIMITS)).rows).toHaveLength(2);
    expect((await previewTable([file('a.json', `${big}\n${big}`)], { rows: 10, bytes: 10 }, DEFAULT_RECORD_LIMITS)).rows).toHaveLength(1);
  });

  it('skips refused records, text that is not JSON and JSON that is not an object', async () => {
    const text = ['{"ok":1}', '{"broken":', '42', '["a"]', `{"big":"${'x'.repeat(200)}"}`, '{"ok":2}'].join('\n');
    const table = await previewTable([file('a.json', text)], bounds, { ...DEFAULT_RECORD_LIMITS, maxRecordBytes: 100 });
    expect(table).toEqual({ columns: [{ cid: 'c0', name: 'ok' }], rows: [{ c0: '1' }, { c0: '2' }] });
  });

  it('keeps the rows before a file breaks and reads the next file', async () => {
    const gz = gzipSync(Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i })).join('\n'));
    const table = await previewTable([file('cut.json.gz', gz.subarray(0, gz.length >> 1)), file('b.json', '{"b":1}')], { ...bounds, rows: 100_000 }, DEFAULT_RECORD_LIMITS);
    expect(table.rows.length).toBeGreaterThan(100);
    expect(table.rows.length).toBeLessThan(3000);
    expect(table.rows.at(-1)).toEqual({ c1: '1' });
    expect((await previewTable([file('open.json', '[{"a":1},{"a":')], bounds, DEFAULT_RECORD_LIMITS)).rows).toEqual([{ c0: '1' }]);
  });

  it('answers no rows and no columns for no files or empty files', async () => {
    expect(await previewTable([], bounds, DEFAULT_RECORD_LIMITS)).toEqual({ columns: [], rows: [] });
    expect(await previewTable([file('e.json', '')], bounds, DEFAULT_RECORD_LIMITS)).toEqual({ columns: [], rows: [] });
  });
});
