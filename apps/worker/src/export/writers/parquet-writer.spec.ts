import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { parquetMetadata, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { ByteColumn } from './byte-column';
import { createRowFileWriter, type ExportRow } from './row-writer';
import { OutputSink } from './output-stream';
import { PAGE_BYTES, ParquetRowWriter, SNAPPY } from './parquet-writer';
import { StreamingByteWriter } from './streaming-byte-writer';

/** A profile of about 600 bytes with nesting, arrays, unicode and every JSON value kind. */
function row(i: number): ExportRow {
  return {
    primaryNamespace: i % 3 === 0 ? 'ECID' : 'email',
    primaryId: `id-${i}`,
    profile: {
      identityMap: { ECID: [{ id: `ecid-${i}`, primary: true }], email: [{ id: `user${i}@example.com`, primary: false }] },
      person: { name: { firstName: i % 2 ? 'Zoë' : 'Jürgen', lastName: '日本語 🎉 "quoted" \\ back' }, birthYear: 1950 + (i % 50) },
      loyalty: { points: i * 1.5, tier: ['gold', 'silver', null][i % 3], since: '2020-01-01T00:00:00.000Z' },
      segments: [
        { id: 'seg-a', status: 'realized', tags: ['x', 'y'] },
        { id: 'seg-b', status: 'existing', nested: { deeper: [1, [2, [3]]], flag: i % 2 === 0 } },
      ],
      consents: { marketing: { email: { val: 'y' }, sms: { val: 'n' } } },
      notes: 'padding '.repeat(20),
    },
  };
}

/** Everything written to a PassThrough, once it ends. */
function collect(out: PassThrough): Promise<ArrayBuffer> {
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    out.on('end', () => {
      const all = Buffer.concat(chunks);
      resolve(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength));
    });
  });
}

async function writeParquet(count: number, rowGroupRows?: number): Promise<{ file: ArrayBuffer; rows: number }> {
  const out = new PassThrough();
  const file = collect(out);
  const writer = createRowFileWriter('parquet', out, { rowGroupRows });
  for (let i = 0; i < count; i++) await writer.write(row(i));
  const { rows } = await writer.close();
  return { file: await file, rows };
}

describe('ParquetRowWriter', () => {
  it('writes a valid empty file for 0 rows', async () => {
    const { file, rows } = await writeParquet(0);
    expect(rows).toBe(0);
    const meta = parquetMetadata(file);
    expect(meta.num_rows).toBe(0n);
    expect(meta.row_groups).toHaveLength(0);
    expect(meta.schema.map((e) => e.name)).toEqual(['root', 'primaryNamespace', 'primaryId', 'profile']);
    expect(await parquetReadObjects({ file })).toEqual([]);
  });

  it('round-trips 1 row, with profile annotated as JSON', async () => {
    const { file, rows } = await writeParquet(1);
    expect(rows).toBe(1);
    const meta = parquetMetadata(file);
    expect(meta.schema[1]).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' });
    expect(meta.schema[3]).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } });
    expect(meta.row_groups[0].columns.every((c) => c.meta_data?.codec === 'SNAPPY')).toBe(true);
    const { primaryNamespace, primaryId, profile } = row(0);
    expect(await parquetReadObjects({ file })).toEqual([{ primaryNamespace, primaryId, profile }]);
  });

  it('writes a profile given as bytes plus text (the stored-record fast path) as that JSON', async () => {
    const out = new PassThrough();
    const file = collect(out);
    const writer = createRowFileWriter('parquet', out);
    const stored = JSON.stringify(row(7).profile);
    for (let i = 0; i < 3; i++) {
      await writer.write({ primaryNamespace: 'ECID', primaryId: `p${i}`, profileParts: { head: Buffer.from(stored.slice(0, -1)), tail: `,"extra":"é${i}"}` } });
    }
    await writer.close();
    const rows = await parquetReadObjects({ file: await file });
    expect(rows.map((r) => r.profile)).toEqual([0, 1, 2].map((i) => ({ ...row(7).profile, extra: `é${i}` })));
  });

  it('round-trips 120,003 rows as 3 row groups of at most 50,000, in order', async () => {
    const count = 120_003;
    const { file, rows } = await writeParquet(count, 50_000);
    expect(rows).toBe(count);
    const meta = parquetMetadata(file);
    expect(meta.num_rows).toBe(BigInt(count));
    expect(meta.row_groups.map((g) => g.num_rows)).toEqual([50_000n, 50_000n, 20_003n]);
    const read = await parquetReadObjects({ file });
    expect(read).toHaveLength(count);
    for (let i = 0; i < count; i++) {
      const { primaryNamespace, primaryId, profile } = row(i);
      // One expect per mismatch would be slow; compare and report the first bad row only.
      if (read[i].primaryId !== primaryId || read[i].primaryNamespace !== primaryNamespace) {
        expect({ index: i, ...read[i] }).toEqual({ index: i, primaryNamespace, primaryId, profile });
      }
      if (JSON.stringify(read[i].profile) !== JSON.stringify(profile)) expect(read[i].profile).toEqual(profile);
    }
    expect(read[count - 1].profile).toEqual(row(count - 1).profile);
  }, 60_000);

  it('holds at most rowGroupRows rows and waits for a slow output to drain', async () => {
    let pendingPeak = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk, _encoding, callback) {
        pendingPeak = Math.max(pendingPeak, out.writableLength);
        setTimeout(callback, 1);
      },
    });
    const writer = new ParquetRowWriter(out, { rowGroupRows: 500 });
    let promises = 0;
    let bufferedPeak = 0;
    for (let i = 0; i < 5_000; i++) {
      const wait = writer.write(row(i));
      bufferedPeak = Math.max(bufferedPeak, writer.bufferedRows);
      if (wait) {
        promises++;
        await wait;
        // After the wait the output has drained below its highWaterMark.
        expect(out.writableLength).toBeLessThan(16 * 1024);
      }
    }
    await writer.close();
    expect(bufferedPeak).toBeLessThan(500);
    // A row group is ~300 KB of JSON: snappy makes it ~100 KB; far below what 5,000 rows would be.
    expect(promises).toBe(10);
    expect(pendingPeak).toBeLessThan(600 * 1024);
  });

  it('ends a row group early once its profiles reach rowGroupBytes', async () => {
    const out = new PassThrough();
    const file = collect(out);
    const writer = new ParquetRowWriter(out, { rowGroupBytes: 100_000 });
    for (let i = 0; i < 1_000; i++) await writer.write(row(i));
    await writer.close();
    const meta = parquetMetadata(await file);
    const sizes = meta.row_groups.map((g) => Number(g.num_rows));
    const shortest = Math.min(...Array.from({ length: 1_000 }, (_, i) => Buffer.byteLength(JSON.stringify(row(i).profile))));
    const perGroup = Math.ceil(100_000 / shortest);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(perGroup);
    expect(sizes.length).toBeGreaterThan(1_000 / perGroup);
  });

  it('abort destroys the output and refuses further rows', async () => {
    const out = new PassThrough();
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    const writer = createRowFileWriter('parquet', out);
    await writer.write(row(0));
    const failure = new Error('job cancelled');
    writer.abort(failure);
    expect(out.destroyed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([failure]);
    expect(() => writer.write(row(1))).toThrow(/aborted/);
    await expect(writer.close()).rejects.toThrow(/aborted/);
  });

  it('rejects a pending write when the output fails instead of hanging', async () => {
    const out = new Writable({
      highWaterMark: 1024,
      write() {
        /* never completes: a stuck consumer */
      },
    });
    out.on('error', () => undefined);
    const writer = new ParquetRowWriter(out, { rowGroupRows: 10 });
    let wait: void | Promise<void> = undefined;
    for (let i = 0; i < 10; i++) wait = writer.write(row(i));
    expect(wait).toBeInstanceOf(Promise);
    out.destroy(new Error('disk full'));
    await expect(wait).rejects.toThrow('disk full');
  });

  it('compresses with native snappy, whose output hyparquet decompresses', () => {
    // The `snappy` package ships a binary for this platform: falling back here would mean the
    // dependency is broken (the fallback still writes valid files, ~5x slower).
    expect(SNAPPY.implementation).toBe('native');
    const input = Buffer.from(JSON.stringify(Array.from({ length: 2_000 }, (_, i) => row(i).profile)));
    const compressed = SNAPPY.compressors!.SNAPPY(input);
    expect(compressed.length).toBeLessThan(input.length / 3);
    const output = new Uint8Array(input.length);
    snappyUncompress(compressed, output);
    expect(Buffer.from(output).equals(input)).toBe(true);
  });

  it("writes ids and profiles PLAIN, namespaces as a dictionary, and keeps every row group's id min/max", async () => {
    const count = 2_500;
    const { file } = await writeParquet(count, 1_000);
    const meta = parquetMetadata(file);
    expect(meta.row_groups).toHaveLength(3);
    meta.row_groups.forEach((group, g) => {
      const [namespace, id, profile] = group.columns.map((c) => c.meta_data!);
      expect(namespace.encodings).toContain('RLE_DICTIONARY');
      expect(id.encodings).toEqual(['PLAIN']);
      expect(profile.encodings).toEqual(['PLAIN']);
      expect(profile.statistics).toBeUndefined();
      // Ids of the group, compared as UTF-8 bytes (the order Parquet's min/max use).
      const ids = Array.from({ length: Math.min(1_000, count - g * 1_000) }, (_, i) => Buffer.from(row(g * 1_000 + i).primaryId));
      ids.sort((a, b) => Buffer.compare(a, b));
      // The id buffer is reused by the next row group: these must be copies taken in time.
      expect(Buffer.from(id.statistics!.min_value as Uint8Array).toString()).toBe(ids[0].toString());
      expect(Buffer.from(id.statistics!.max_value as Uint8Array).toString()).toBe(ids.at(-1)!.toString());
    });
  });

  it('round-trips profiles larger than a page and non-ASCII ids', async () => {
    // Incompressible: its page stays larger than the output chunk once compressed.
    const big = { blob: randomBytes(PAGE_BYTES).toString('base64'), nested: { list: Array.from({ length: 5_000 }, (_, i) => i) } };
    const rows: ExportRow[] = [
      row(0),
      { primaryNamespace: 'email', primaryId: 'zoë@例え.jp', profile: big },
      row(2),
      { primaryNamespace: 'ECID', primaryId: '🎉', profileParts: { head: Buffer.from('{"a":"é"'), middle: Buffer.from(',"b":1 '), tail: '}' } },
    ];
    const out = new PassThrough();
    const file = collect(out);
    const writer = new ParquetRowWriter(out, { rowGroupRows: 3 });
    for (const r of rows) await writer.write(r);
    await writer.close();
    const read = await parquetReadObjects({ file: await file });
    expect(read.map((r) => r.primaryId)).toEqual(['id-0', 'zoë@例え.jp', 'id-2', '🎉']);
    expect(read[1].profile).toEqual(big);
    expect(read[2].profile).toEqual(row(2).profile);
    expect(read[3].profile).toEqual({ a: 'é', b: 1 });
  });

  it('rejects invalid rows and options', () => {
    expect(() => new ParquetRowWriter(new PassThrough(), { rowGroupRows: 0 })).toThrow(/rowGroupRows/);
    const writer = new ParquetRowWriter(new PassThrough());
    expect(() => writer.write({ primaryNamespace: 'ECID', primaryId: 7 as unknown as string, profile: {} })).toThrow(TypeError);
  });
});

describe('ByteColumn', () => {
  it('hands out views of each value and reuses its buffer', () => {
    const column = new ByteColumn(16);
    for (const text of ['a', '', 'zoë', '日本']) column.push(text);
    expect(column.length).toBe(4);
    expect(column.byteLength).toBe(1 + 0 + 4 + 6);
    expect(column.values().map((v) => Buffer.from(v).toString())).toEqual(['a', '', 'zoë', '日本']);
    column.clear();
    expect(column.length).toBe(0);
    column.push('b');
    expect(column.values().map((v) => Buffer.from(v).toString())).toEqual(['b']);
  });

  it('grows for a large value and gives the memory back once row groups are normal again', () => {
    const column = new ByteColumn(1024);
    for (let i = 0; i < 3_000; i++) column.push(`value-${i}`);
    expect(column.values()[2_999]).toEqual(new Uint8Array(Buffer.from('value-2999')));
    column.clear();
    const normal = column.capacity;
    column.push('x'.repeat(1_000_000)); // reserves 3 bytes per character while it is written
    expect(column.capacity).toBeGreaterThanOrEqual(3_000_000);
    column.clear(); // this row group used ~1 MB: its buffer is kept for now
    column.push('small');
    column.clear(); // a normal row group again: the outlier's buffer goes
    expect(column.capacity).toBeLessThanOrEqual(Math.max(normal, 1024));
  });
});

describe('StreamingByteWriter', () => {
  it('sends appends larger than its buffer out on their own instead of growing', async () => {
    const out = new PassThrough();
    const file = collect(out);
    const writer = new StreamingByteWriter(new OutputSink(out));
    const size = writer.buffer.byteLength;
    const big = randomBytes(size * 2 + 3);
    writer.appendUint32(7);
    writer.appendBytes(big);
    writer.appendUint8(9);
    writer.finish();
    out.end();
    expect(writer.buffer.byteLength).toBe(size);
    expect(writer.offset).toBe(4 + big.length + 1);
    const expected = Buffer.concat([Buffer.from([7, 0, 0, 0]), big, Buffer.from([9])]);
    expect(Buffer.from(await file).equals(expected)).toBe(true);
  });
});
