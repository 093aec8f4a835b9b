import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DiffRow } from '@sx/persistence';
import type { DiffSource } from './diff-plan';
import { UnreadableRow, copyJsonlRows, profileKeyOf } from './jsonl-diff-rows';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

async function rowsOf(lines: string[], source: Partial<DiffSource>, bucket?: string, chunk = 7, keepsRows = false): Promise<DiffRow[]> {
  const text = Buffer.from(lines.join('\n') + '\n', 'utf8');
  // Small chunks, so that lines (and multi-byte characters) are cut between them.
  const chunks = Array.from({ length: Math.ceil(text.length / chunk) }, (_, i) => text.subarray(i * chunk, (i + 1) * chunk));
  const out: DiffRow[] = [];
  const n = await copyJsonlRows(
    Readable.from(chunks),
    { side: 'after', batches: [], ...source } as DiffSource,
    bucket,
    { keepsRows, write: (r) => void out.push(r) },
    'part-00000.jsonl',
  );
  expect(n).toBe(lines.length);
  return out;
}

describe('profileKeyOf', () => {
  it('is the identity identityMap marks primary, else its first', () => {
    expect(profileKeyOf({ identityMap: { ECID: [{ id: 'e' }], Email: [{ id: 'a@x' }, { id: 'b@x', primary: true }] } })).toBe('Email:b@x');
    expect(profileKeyOf({ identityMap: { ECID: [{ id: 'e' }], Email: [{ id: 'a@x' }] } })).toBe('ECID:e');
    expect(profileKeyOf({ identityMap: { ECID: 'junk', Email: [null, { id: 3 }] } })).toBeUndefined();
    expect(profileKeyOf({})).toBeUndefined();
  });
});

describe('copyJsonlRows', () => {
  const ann = JSON.stringify({
    identityMap: { Email: [{ id: 'ann@x', primary: true }] },
    name: 'Zoë 日本語',
    segmentMembership: { ups: { s1: { status: 'realized' }, s2: { status: 'exited' } } },
  });
  const bob = JSON.stringify({ identityMap: { Email: [{ id: 'bob@x', primary: true }] }, segmentMembership: { ups: { s1: { status: 'existing' }, s2: { status: 'realized' } } } });

  it('keys each line, hashes its bytes and puts it in the given bucket', async () => {
    expect(await rowsOf([ann, bob], {}, '*')).toEqual([
      { side: 'after', bucket: '*', key: 'Email:ann@x', hash: sha(ann) },
      { side: 'after', bucket: '*', key: 'Email:bob@x', hash: sha(bob) },
    ]);
  });

  it('without a bucket, the filters the written membership qualifies for (existing counts as realized)', async () => {
    const filters = { buckets: ['ups:s1', 'ups:s2'], segments: ['s1', 's2'].map((segmentId) => ({ segmentNs: 'ups', segmentId, status: ['realized'] })) };
    const rows = await rowsOf([ann, bob], { filters });
    expect(rows.map((r) => `${r.key} ${r.bucket}`)).toEqual(['Email:ann@x ups:s1', 'Email:bob@x ups:s1', 'Email:bob@x ups:s2']);
  });

  it('puts a row in a segment once when two filter entries name that segment', async () => {
    const filters = {
      buckets: ['ups:s1', 'ups:s1'],
      segments: [
        { segmentNs: 'ups', segmentId: 's1', status: ['realized'] },
        { segmentNs: 'ups', segmentId: 's1', status: ['existing'] },
      ],
    };
    expect((await rowsOf([ann], { filters })).map((r) => `${r.key} ${r.bucket}`)).toEqual(['Email:ann@x ups:s1']);
  });

  it('checks the whole file against the sha256 its batch recorded', async () => {
    const text = `${ann}\n${bob}\n`;
    const source = { side: 'after', batches: [] } as unknown as DiffSource;
    const sink = { keepsRows: false, write: () => undefined };
    await expect(copyJsonlRows(Readable.from([Buffer.from(text)]), source, '*', sink, 'part-00000.jsonl', sha(text))).resolves.toBe(2);
    await expect(copyJsonlRows(Readable.from([Buffer.from(text)]), source, '*', sink, 'part-00000.jsonl', sha(`${ann}\n`))).rejects.toThrow(
      /part-00000.jsonl is not the file its batch committed/,
    );
  });

  it('for a sink that keeps rows, hands over each line as written and its primary identity', async () => {
    const rows = await rowsOf([ann, bob], {}, '*', 5, true);
    expect(rows.map((r) => [r.written?.namespace, r.written?.id, r.written?.profile.toString('utf8')])).toEqual([
      ['Email', 'ann@x', ann],
      ['Email', 'bob@x', bob],
    ]);
  });

  it('refuses a line that is not JSON, not an object, or has no identity', async () => {
    await expect(rowsOf(['{"a":'], {}, '*')).rejects.toThrow(UnreadableRow);
    await expect(rowsOf(['{"identityMap":{"Email":[{"id":"a"}]} trailing'], {}, '*')).rejects.toThrow(/row 1 of part-00000.jsonl is not a JSON object/);
    await expect(rowsOf(['null'], {}, '*')).rejects.toThrow(/row 1 of part-00000.jsonl is not a JSON object/);
    await expect(rowsOf(['[1]'], {}, '*')).rejects.toThrow(/is not a JSON object/);
    await expect(rowsOf(['{"a":1}'], {}, '*')).rejects.toThrow(/row 1 of part-00000.jsonl has no identityMap identity/);
  });
});
