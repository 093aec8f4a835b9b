import { PassThrough, Writable } from 'node:stream';
import { createRowFileWriter, FILE_EXTENSION, type ExportRow } from './row-writer';
import { JSONL_CHUNK_BYTES, JsonlRowWriter } from './jsonl-writer';

function row(i: number): ExportRow {
  return {
    primaryNamespace: 'ECID',
    primaryId: `id-${i}`,
    profile: {
      identityMap: { ECID: [{ id: `id-${i}`, primary: true }] },
      person: { name: { firstName: 'Zoë', lastName: '日本語 🎉 "quoted"\nline' } },
      scores: [i, i / 3, -0.5, null, true, { deep: [[1], []] }],
      notes: 'padding '.repeat(60),
    },
  };
}

function collect(out: PassThrough): Promise<string> {
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    out.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('JsonlRowWriter', () => {
  it('round-trips profiles one per line, in order', async () => {
    const out = new PassThrough();
    const text = collect(out);
    const writer = createRowFileWriter('jsonl', out);
    const count = 3_000; // ~1.7 MB: several 256 KB chunks plus a partial one
    for (let i = 0; i < count; i++) await writer.write(row(i));
    expect(await writer.close()).toEqual({ rows: count });
    const lines = (await text).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(Array.from({ length: count }, (_, i) => row(i).profile));
  });

  it('writes a profile given as bytes plus text (the stored-record fast path) as one line', async () => {
    const out = new PassThrough();
    const text = collect(out);
    const writer = createRowFileWriter('jsonl', out);
    const stored = JSON.stringify(row(1).profile);
    const count = 1_000; // several chunks
    for (let i = 0; i < count; i++) {
      await writer.write({ primaryNamespace: 'ECID', primaryId: `p${i}`, profileParts: { head: Buffer.from(stored.slice(0, -1)), tail: `,"extra":"é${i}"}` } });
    }
    // One longer than a whole chunk goes out on its own.
    const big = JSON.stringify({ notes: 'x'.repeat(JSONL_CHUNK_BYTES) });
    await writer.write({ primaryNamespace: 'ECID', primaryId: 'big', profileParts: { head: Buffer.from(big.slice(0, -1)), tail: ',"extra":1}' } });
    await writer.close();
    const lines = (await text).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(count + 1);
    expect(lines.slice(0, count).map((l) => JSON.parse(l) as unknown)).toEqual(Array.from({ length: count }, (_, i) => ({ ...row(1).profile, extra: `é${i}` })));
    expect(JSON.parse(lines[count])).toEqual({ notes: 'x'.repeat(JSONL_CHUNK_BYTES), extra: 1 });
  });

  it('writes an empty file for 0 rows', async () => {
    const out = new PassThrough();
    const text = collect(out);
    expect(await createRowFileWriter('jsonl', out).close()).toEqual({ rows: 0 });
    expect(await text).toBe('');
    expect(FILE_EXTENSION.jsonl).toBe('.jsonl');
  });

  it('writes ~256 KB chunks and waits for a slow output to drain', async () => {
    const sizes: number[] = [];
    let pendingPeak = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        sizes.push(chunk.length);
        pendingPeak = Math.max(pendingPeak, out.writableLength);
        setTimeout(callback, 2);
      },
    });
    const writer = new JsonlRowWriter(out);
    let promises = 0;
    let bufferedPeak = 0;
    for (let i = 0; i < 5_000; i++) {
      const wait = writer.write(row(i));
      bufferedPeak = Math.max(bufferedPeak, writer.bufferedBytes);
      if (wait) {
        promises++;
        await wait;
        expect(out.writableLength).toBeLessThan(16 * 1024);
      }
    }
    await writer.close();
    const longest = Math.max(...Array.from({ length: 5_000 }, (_, i) => JSON.stringify(row(i).profile).length + 1));
    // The writer holds less than one chunk, and so does the output: one chunk in flight at most.
    expect(bufferedPeak).toBeLessThanOrEqual(JSONL_CHUNK_BYTES);
    expect(pendingPeak).toBeLessThanOrEqual(JSONL_CHUNK_BYTES);
    // Every chunk but the last is full up to the room kept for a worst-case (3 bytes a unit) line.
    expect(sizes.slice(0, -1).every((s) => s > JSONL_CHUNK_BYTES - 3 * longest)).toBe(true);
    expect(promises).toBe(sizes.length - 1);
  });

  it('writes a line longer than a chunk on its own', async () => {
    const out = new PassThrough();
    const text = collect(out);
    const writer = createRowFileWriter('jsonl', out);
    const big = { blob: 'é'.repeat(JSONL_CHUNK_BYTES) };
    await writer.write(row(0));
    await writer.write({ primaryNamespace: 'ECID', primaryId: 'big', profile: big });
    await writer.write(row(1));
    await writer.close();
    const lines = (await text).split('\n');
    expect(lines.slice(0, 3).map((l) => JSON.parse(l) as unknown)).toEqual([row(0).profile, big, row(1).profile]);
  });

  it('abort destroys the output with the error and refuses further rows', async () => {
    const out = new PassThrough();
    const errors: Error[] = [];
    out.on('error', (e) => errors.push(e));
    const writer = createRowFileWriter('jsonl', out);
    await writer.write(row(0));
    const failure = new Error('job cancelled');
    writer.abort(failure);
    writer.abort(); // a second abort is harmless
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
    const writer = new JsonlRowWriter(out);
    let wait: void | Promise<void> = undefined;
    for (let i = 0; !wait; i++) wait = writer.write(row(i));
    out.destroy(new Error('disk full'));
    await expect(wait).rejects.toThrow('disk full');
  });
});
