import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { parquetMetadata } from 'hyparquet';
import type { BatchFile } from '@sx/domain';
import type { DiffRow } from '@sx/persistence';
import type { DatasetStorage } from '@sx/storage';
// The worker's own writer: the diff must read what exports write.
import { ParquetRowWriter } from '../../../apps/worker/src/export/writers/parquet-writer';
import type { DiffSource } from './diff-plan';
import { UnreadableRow } from './jsonl-diff-rows';
import { copyParquetRows } from './parquet-diff-rows';

async function parquetOf(profiles: Array<Record<string, unknown>>, rowGroupRows: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = new ParquetRowWriter(out, { rowGroupRows });
  for (const [i, profile] of profiles.entries()) await writer.write({ primaryNamespace: 'Email', primaryId: `p${i}@x`, profile });
  await writer.close();
  return Buffer.concat(chunks);
}

/** Storage holding one file, counting the ranged reads it serves. */
function storageOf(bytes: Buffer) {
  const reads: Array<{ start: number; end: number }> = [];
  const storage = {
    read: async (_key: string, range?: { start: number; end: number }) => {
      const r = range ?? { start: 0, end: bytes.length - 1 };
      reads.push(r);
      return Readable.from([bytes.subarray(r.start, r.end + 1)]);
    },
  } as unknown as DatasetStorage;
  return { storage, reads };
}

const fileOf = (bytes: Buffer): BatchFile => ({ id: 'f', batchId: 'b', name: 'part-00000.parquet', storageKey: 'k', sizeBytes: bytes.length, sha256: '', createdAt: new Date(0) });
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('copyParquetRows', () => {
  const profiles = Array.from({ length: 10 }, (_, i) => ({
    identityMap: { Email: [{ id: `p${i}@x`, primary: true }] },
    name: `Zoë ${i}`,
    segmentMembership: { ups: { s1: { status: i % 2 ? 'realized' : 'exited' } } },
  }));

  it('reads every row group: key from the id columns, hash of the profile bytes as written', async () => {
    const bytes = await parquetOf(profiles, 3);
    const buffer = new Uint8Array(bytes).buffer;
    expect(parquetMetadata(buffer).row_groups.map((g) => Number(g.num_rows))).toEqual([3, 3, 3, 1]);
    const { storage, reads } = storageOf(bytes);
    const out: DiffRow[] = [];
    const source = { side: 'before', batches: [] } as unknown as DiffSource;
    expect(await copyParquetRows(storage, fileOf(bytes), source, '*', { keepsRows: false, write: (r) => void out.push(r) })).toBe(10);
    expect(out).toEqual(profiles.map((p, i) => ({ side: 'before', bucket: '*', key: `Email:p${i}@x`, hash: sha(JSON.stringify(p)) })));
    // Through ranged reads of the storage driver, every one within the file.
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.start >= 0 && r.end < bytes.length)).toBe(true);
  });

  it('without a bucket, qualifies each row by its written membership', async () => {
    const bytes = await parquetOf(profiles, 4);
    const out: DiffRow[] = [];
    const source = {
      side: 'after',
      batches: [],
      filters: { buckets: ['ups:s1'], segments: [{ segmentNs: 'ups', segmentId: 's1', status: ['realized'] }] },
    } as unknown as DiffSource;
    await copyParquetRows(storageOf(bytes).storage, fileOf(bytes), source, undefined, { keepsRows: false, write: (r) => void out.push(r) });
    expect(out.map((r) => r.key)).toEqual(['Email:p1@x', 'Email:p3@x', 'Email:p5@x', 'Email:p7@x', 'Email:p9@x']);
  });

  it("for a sink that keeps rows, hands over each row's id columns and profile bytes as written", async () => {
    const bytes = await parquetOf(profiles, 4);
    const out: DiffRow[] = [];
    const source = { side: 'after', batches: [] } as unknown as DiffSource;
    await copyParquetRows(storageOf(bytes).storage, fileOf(bytes), source, '*', { keepsRows: true, write: (r) => void out.push(r) });
    expect(out.map((r) => [r.written?.namespace, r.written?.id, r.written?.profile.toString('utf8')])).toEqual(profiles.map((p, i) => ['Email', `p${i}@x`, JSON.stringify(p)]));
  });

  it('refuses a file that is not Parquet', async () => {
    const bytes = Buffer.from('{"not":"parquet"}\n');
    await expect(
      copyParquetRows(storageOf(bytes).storage, fileOf(bytes), { side: 'after', batches: [] } as unknown as DiffSource, '*', { keepsRows: false, write: () => undefined }),
    ).rejects.toThrow(UnreadableRow);
  });
});
