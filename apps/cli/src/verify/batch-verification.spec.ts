import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parquetMetadata } from 'hyparquet';
import { createRowFileWriter } from '../../../worker/src/export/writers/row-writer';
import { type Manifest, batchFolder, compare, readLocal, summary } from './batch-verification';
import { parquetRowCount } from './parquet-footer';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A Parquet file of `rows` rows in row groups of `groupRows`, written by the export's own writer. */
async function parquetFile(rows: number, groupRows: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = createRowFileWriter('parquet', out, { rowGroupRows: groupRows });
  for (let i = 0; i < rows; i++) await writer.write({ primaryNamespace: 'email', primaryId: `p${i}`, profile: { i, name: 'x'.repeat(i % 7) } });
  await writer.close();
  return Buffer.concat(chunks);
}

describe('parquet footer row count', () => {
  it.each([
    [0, 10],
    [1, 10],
    [2500, 1000],
    [70_000, 100_000],
  ])(
    '%i rows (row groups of %i): the count hyparquet reads',
    async (rows, groupRows) => {
      const file = await parquetFile(rows, groupRows);
      const path = join(await mkdtemp(join(tmpdir(), 'sx-footer-')), 'part.parquet');
      await writeFile(path, file);
      expect(await parquetRowCount(path)).toBe(rows);
      expect(Number(parquetMetadata(new Uint8Array(file).buffer).num_rows)).toBe(rows);
    },
    30_000,
  );
});

describe('verify: compare a folder with a manifest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const jsonl = Buffer.from('{"a":1}\n{"a":2}\n{"a":3}\n');
  const manifestOf = (files: Array<{ name: string; bytes: Buffer; rows: number }>, format = 'jsonl'): Manifest => ({
    manifestVersion: 1,
    batchId: 'b'.repeat(32),
    format,
    files: files.map((f) => ({ name: f.name, rows: f.rows, bytes: f.bytes.length, sha256: sha(f.bytes) })),
  });

  it('every file there with its bytes, sha256 and rows: ok (its own _manifest.json is not extra)', async () => {
    await writeFile(join(dir, 'part-00000.jsonl'), jsonl);
    await writeFile(join(dir, '_manifest.json'), '{}');
    const r = compare(manifestOf([{ name: 'part-00000.jsonl', bytes: jsonl, rows: 3 }]), dir, await readLocal(dir, 'jsonl'));
    expect(r).toMatchObject({ ok: true, extra: [], rowsChecked: true });
    expect(r.files[0]).toMatchObject({ ok: true, problems: [], actual: { rows: 3, bytes: jsonl.length, sha256: sha(jsonl) } });
    expect(summary(r)).toContain('1 files match');
  });

  it('a changed byte, a missing file and an extra file are each named with what differs', async () => {
    const tampered = Buffer.from(jsonl);
    tampered[3] = 0x39; // same length, other bytes
    await writeFile(join(dir, 'part-00000.jsonl'), tampered);
    await writeFile(join(dir, 'part-00002.jsonl'), jsonl);
    const shorter = Buffer.from('{"a":1}\n');
    await writeFile(join(dir, 'part-00003.jsonl'), shorter);
    const m = manifestOf([
      { name: 'part-00000.jsonl', bytes: jsonl, rows: 3 },
      { name: 'part-00001.jsonl', bytes: jsonl, rows: 3 },
      { name: 'part-00003.jsonl', bytes: jsonl, rows: 3 },
    ]);
    const r = compare(m, dir, await readLocal(dir, 'jsonl'));
    expect(r.ok).toBe(false);
    expect(r.files.map((f) => [f.name, f.problems])).toEqual([
      ['part-00000.jsonl', ['sha256']],
      ['part-00001.jsonl', ['missing']],
      ['part-00003.jsonl', ['sha256', 'bytes', 'rows']],
    ]);
    expect(r.extra).toEqual(['part-00002.jsonl']);
    const line = summary(r);
    for (const text of ['part-00000.jsonl (sha256)', 'part-00001.jsonl (missing)', 'part-00003.jsonl (sha256, bytes, rows)', 'not in the manifest: part-00002.jsonl'])
      expect(line).toContain(text);
  });

  it('JSON Lines rows: a last line without its newline counts', async () => {
    const noNewline = Buffer.from('{"a":1}\n{"a":2}');
    await writeFile(join(dir, 'part-00000.jsonl'), noNewline);
    expect((await readLocal(dir, 'jsonl')).get('part-00000.jsonl')?.rows).toBe(2);
  });

  it('Parquet rows come from the footer; a file that is not Parquet fails the rows check', async () => {
    const file = await parquetFile(1234, 500);
    await writeFile(join(dir, 'part-00000.parquet'), file);
    await writeFile(join(dir, 'part-00001.parquet'), jsonl);
    const m = manifestOf(
      [
        { name: 'part-00000.parquet', bytes: file, rows: 1234 },
        { name: 'part-00001.parquet', bytes: jsonl, rows: 3 },
      ],
      'parquet',
    );
    const r = compare(m, dir, await readLocal(dir, 'parquet'));
    expect(r.files[0]).toMatchObject({ ok: true, actual: { rows: 1234 } });
    expect(r.files[1]).toMatchObject({ ok: false, problems: ['rows'], actual: { rowsError: expect.stringContaining('not a Parquet file') as string } });
  });

  it('the folder of a batch: DIR/<batchId> when download made one, else DIR', async () => {
    expect(await batchFolder(dir, 'b'.repeat(32))).toBe(dir);
    await mkdir(join(dir, 'b'.repeat(32)));
    expect(await batchFolder(dir, 'b'.repeat(32))).toBe(join(dir, 'b'.repeat(32)));
  });
});
