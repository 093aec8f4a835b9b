import { PassThrough, Writable } from 'node:stream';
import { fieldColumns } from '@sx/export';
import { CSV_CHUNK_UNITS, CsvRowWriter } from './csv-writer';
import { createRowFileWriter, type ExportRow } from './row-writer';

function collect(out: PassThrough): Promise<Buffer> {
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    out.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const row = (profile: Record<string, unknown>, id = 'p'): ExportRow => ({ primaryNamespace: 'Email', primaryId: id, profile });

async function csvOf(fields: string, rows: ExportRow[]): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = collect(out);
  const writer = createRowFileWriter('csv', out, { csvColumns: fieldColumns(fields) });
  for (const r of rows) await writer.write(r);
  expect(await writer.close()).toEqual({ rows: rows.length });
  return bytes;
}

describe('CsvRowWriter', () => {
  it('writes a header of the paths and one RFC 4180 record per row: quote, comma, CR, LF, CRLF, unicode', async () => {
    const bytes = await csvOf('name,city', [
      row({ name: 'say "hi"', city: 'a,b' }),
      row({ name: 'cr\rhere', city: 'lf\nhere' }),
      row({ name: 'crlf\r\nhere', city: 'Zoë 日本語 🎉' }),
    ]);
    expect(bytes.toString('utf8')).toBe('name,city\r\n"say ""hi""","a,b"\r\n"cr\rhere","lf\nhere"\r\n"crlf\r\nhere",Zoë 日本語 🎉\r\n');
    // UTF-8, no byte order mark.
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('name');
    expect(bytes.includes(Buffer.from('日本語', 'utf8'))).toBe(true);
  });

  it('tells an empty string ("") from a missing path or null (nothing); numbers, booleans and objects as JSON text', async () => {
    const text = (await csvOf('s,n,b,o', [row({ s: '', n: 0, b: false, o: { x: [1, 'two'] } }), row({ s: null, o: null }), row({})])).toString();
    expect(text).toBe('s,n,b,o\r\n"",0,false,"{""x"":[1,""two""]}"\r\n,,,\r\n,,,\r\n');
  });

  it('reads rows of the stored-record fast path (JSON bytes, then text)', async () => {
    const stored = Buffer.from('{"person":{"name":{"firstName":"Ann"}},"loyalty":{"points":');
    const text = (
      await csvOf('person.name.firstName,loyalty.points', [{ primaryNamespace: 'Email', primaryId: 'a', profileParts: { head: stored, middle: Buffer.from('12'), tail: '}}' } }])
    ).toString();
    expect(text).toBe('person.name.firstName,loyalty.points\r\nAnn,12\r\n');
  });

  it('writes chunks of about CSV_CHUNK_UNITS and waits for a slow output to drain', async () => {
    const sizes: number[] = [];
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        sizes.push(chunk.length);
        setTimeout(callback, 1);
      },
    });
    const writer = new CsvRowWriter(out, fieldColumns('a,b'));
    let waits = 0;
    for (let i = 0; i < 20_000; i++) {
      const wait = writer.write(row({ a: `row ${i}`, b: 'x'.repeat(20) }));
      if (wait) {
        waits++;
        await wait;
      }
    }
    await writer.close();
    expect(sizes.length).toBeGreaterThan(2);
    expect(sizes.slice(0, -1).every((s) => s >= CSV_CHUNK_UNITS && s < CSV_CHUNK_UNITS + 100)).toBe(true);
    expect(waits).toBeGreaterThan(0);
  });

  it('needs a column, and refuses rows once aborted', async () => {
    expect(() => new CsvRowWriter(new PassThrough(), [])).toThrow(/at least one column/);
    const out = new PassThrough();
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    const writer = new CsvRowWriter(out, fieldColumns('a'));
    await writer.write(row({ a: 1 }));
    writer.abort(new Error('job cancelled'));
    writer.abort();
    expect(out.destroyed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((e) => e.message)).toEqual(['job cancelled']);
    expect(() => writer.write(row({ a: 2 }))).toThrow(/aborted/);
    await expect(writer.close()).rejects.toThrow(/aborted/);
  });
});
