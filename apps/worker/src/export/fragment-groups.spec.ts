import { type FragmentOut, fragmentBatchesOf } from '@sx/persistence';
import { fragmentCopyStream } from '../../../../test/support/copy-binary';
import { forEachProfile } from './fragment-groups';

const fragment = (key: string, n: number): FragmentOut => {
  const json = JSON.stringify({ n });
  return { key, primaryIdentity: key, identitiesJson: '[]', membershipAt: -1, datasetId: 'ds', recordTime: n, ingestTime: n, json, jsonBytes: Buffer.from(json) };
};

/** Keys in read order: runs of one key are a profile. */
const KEYS = ['a:1', 'a:2', 'a:2', 'a:3', 'b:1', 'b:1', 'b:1', 'b:2', 'c:é', 'c:é', 'c:z'];
const EXPECTED = ['single a:1 [0]', 'several a:2 [1,2]', 'single a:3 [3]', 'several b:1 [4,5,6]', 'single b:2 [7]', 'several c:é [8,9]', 'single c:z [10]'];

async function groups(chunkBytes: number, signal = new AbortController().signal, onEach?: (seen: string[]) => void): Promise<string[]> {
  const seen: string[] = [];
  const stream = fragmentCopyStream(
    KEYS.map((k, i) => fragment(k, i)),
    chunkBytes,
  );
  await forEachProfile(fragmentBatchesOf(stream), signal, {
    single: (b, r) => {
      const f = b.fragment(r);
      seen.push(`single ${f.key} [${(JSON.parse(b.record(r).toString()) as { n: number }).n}]`);
      onEach?.(seen);
    },
    several: (fs) => {
      seen.push(`several ${fs[0].key} [${fs.map((f) => (JSON.parse(f.json) as { n: number }).n).join(',')}]`);
      onEach?.(seen);
      return Promise.resolve();
    },
  });
  return seen;
}

describe('forEachProfile: a read’s fragment batches grouped into profiles', () => {
  it.each([1, 7, 29, 64, 100, 300, Infinity])('the same profiles whatever the chunks (%s bytes): rows cut, keys across batches', async (chunkBytes) => {
    expect(await groups(chunkBytes)).toEqual(EXPECTED);
  });

  it('an empty read calls nothing', async () => {
    const seen: string[] = [];
    await forEachProfile(fragmentBatchesOf(fragmentCopyStream([])), new AbortController().signal, {
      single: () => void seen.push('single'),
      several: () => void seen.push('several'),
    });
    expect(seen).toEqual([]);
  });

  it.each([7, Infinity])('stops between profiles once aborted (%s-byte chunks)', async (chunkBytes) => {
    const abort = new AbortController();
    const seen = await groups(chunkBytes, abort.signal, (s) => s.length === 2 && abort.abort());
    expect(seen).toEqual(EXPECTED.slice(0, 2));
  });
});
