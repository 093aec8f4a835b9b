import { AppConfig } from '@sx/config';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { BulkPool } from './bulk-pool';
import { ChangedRow, DiffRow, ExportDiffRepository } from './export-diff.repository';

/** A diff row that keeps its written row: key `Email:<id>`, hash of the profile text. */
const row = (side: DiffRow['side'], bucket: string, id: string, profile: string): DiffRow => ({
  side,
  bucket,
  key: `Email:${id}`,
  hash: Buffer.from(profile).toString('hex').slice(0, 64).padEnd(64, '0'),
  written: { namespace: 'Email', id, profile: Buffer.from(profile) },
});

describe('ExportDiffRepository on a real database', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let pool: BulkPool;
  let repo: ExportDiffRepository;
  beforeAll(async () => {
    env = await createTestEnv('export_diff_repository');
    pool = new BulkPool(Object.assign(new AppConfig(), env.config()));
    repo = new ExportDiffRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await env?.close();
  });

  // JSON as an export writes it, with what COPY's text format must escape: backslashes (JSON's own
  // escapes), a tab-like escape, non-ASCII text.
  const tricky = '{"name":"Zoë \\"q\\" \\\\ \\t 日本","n":1}';
  const rows: DiffRow[] = [
    row('before', 'ups:s1', 'ann', '{"v":1}'),
    row('after', 'ups:s1', 'ann', tricky), // changed
    row('before', 'ups:s1', 'bob', '{"v":1}'), // exited
    row('after', 'ups:s1', 'cat', '{"v":3}'), // entered
    row('before', 'ups:s1', 'dan', '{"same":true}'),
    row('after', 'ups:s1', 'dan', '{"same":true}'), // unchanged: not written
    row('after', 'ups:s0', 'eve', '{"e":1}'), // another bucket, sorted first
  ];

  it('counts per bucket, and hands over the moved rows byte for byte, ordered by bucket, change and key', async () => {
    const out: Array<Omit<ChangedRow, 'profile'> & { profile: string }> = [];
    const counts = await repo.writeChanged(
      async (sink) => {
        expect(sink.keepsRows).toBe(true);
        for (const r of rows) await sink.write(r);
      },
      (r) => void out.push({ ...r, profile: r.profile.toString('utf8') }),
    );
    expect(counts).toEqual([
      { bucket: 'ups:s0', entered: 1, exited: 0, changed: 0, unchanged: 0 },
      { bucket: 'ups:s1', entered: 1, exited: 1, changed: 1, unchanged: 1 },
    ]);
    expect(out).toEqual([
      { bucket: 'ups:s0', change: 'entered', namespace: 'Email', id: 'eve', profile: '{"e":1}' },
      { bucket: 'ups:s1', change: 'changed', namespace: 'Email', id: 'ann', profile: tricky },
      { bucket: 'ups:s1', change: 'entered', namespace: 'Email', id: 'cat', profile: '{"v":3}' },
      { bucket: 'ups:s1', change: 'exited', namespace: 'Email', id: 'bob', profile: '{"v":1}' },
    ]);
  });

  it('a profile written twice into one bucket of a side is compared as a whole, and written once (its row of the lowest hash)', async () => {
    const twice = [
      row('before', '*', 'ann', '{"a":1}'),
      row('after', '*', 'ann', '{"a":1}'),
      row('after', '*', 'ann', '{"a":2}'),
      row('before', '*', 'bob', '{"b":1}'),
      row('after', '*', 'bob', '{"b":1}'),
    ];
    const out: string[] = [];
    const counts = await repo.writeChanged(
      async (sink) => {
        for (const r of twice) await sink.write(r);
      },
      (r) => void out.push(`${r.change} ${r.id} ${r.profile.toString('utf8')}`),
    );
    expect(counts).toEqual([{ bucket: '*', entered: 0, exited: 0, changed: 1, unchanged: 1 }]);
    expect(out).toEqual(['changed ann {"a":1}']);
  });

  it('counts alone: the same counts without keeping rows', async () => {
    const counts = await repo.count(async (sink) => {
      expect(sink.keepsRows).toBe(false);
      for (const r of rows) await sink.write({ ...r, written: undefined });
    });
    expect(counts.map((c) => c.bucket)).toEqual(['ups:s0', 'ups:s1']);
  });

  it('a writer failing mid-stream ends the diff at once (no wait on the cut COPY), its connection destroyed', async () => {
    // Far more than one socket read: the COPY out is still streaming when the writer fails.
    const big = Array.from({ length: 3000 }, (_, i) => row('after', '*', `p${i}`, JSON.stringify({ i, pad: 'x'.repeat(1000) })));
    const before = pool.totalCount;
    let written = 0;
    await expect(
      repo.writeChanged(
        async (sink) => {
          for (const r of big) await sink.write(r);
        },
        () => {
          if (++written === 10) throw new Error('storage full');
        },
      ),
    ).rejects.toThrow('storage full');
    expect(pool.totalCount).toBeLessThanOrEqual(before);
    const again = await repo.count(async (sink) => {
      for (const r of rows) await sink.write({ ...r, written: undefined });
    });
    expect(again).toHaveLength(2);
  });
});
