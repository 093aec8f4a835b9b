import { Readable } from 'node:stream';
import { copyRowBatches, copyRowBatchesRaw } from './copy-out';
import { copyField } from './copy-text';

const rowsOf = async <T>(batches: AsyncIterable<T[]>) => {
  const out: T[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
};

describe('COPY text decoding', () => {
  // Rows as Postgres sends them: tab-separated, escaped, \N for NULL; JSON with quotes, escapes,
  // tabs and non-ASCII text (split across chunks below at every byte offset).
  const values = [
    ['Email:ann@x.io', '{"name":"Zoë","city":"Köln"}', null],
    ['ECID:1', '{"note":"a \\"quoted\\" word\\\\","tab":"\t","nl":"\n"}', '[{"id":"1"}]'],
    ['Phone:+1', '{}', '€'],
  ];
  const text = values.map((r) => r.map((v) => (v === null ? '\\N' : copyField(v))).join('\t')).join('\n') + '\n';
  const bytes = Buffer.from(text, 'utf8');

  it('decodes the same rows whatever the chunking; the raw column is bytes only when nothing was escaped', async () => {
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut, cut + 7), bytes.subarray(cut + 7)].filter((c) => c.length);
      expect(await rowsOf(copyRowBatches(Readable.from(chunks)))).toEqual(values);
      const raw = await rowsOf(copyRowBatchesRaw(Readable.from(chunks), 1));
      expect(raw.map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)))).toEqual(values);
      expect(raw.map((r) => Buffer.isBuffer(r[1]))).toEqual([true, false, true]);
    }
  });

  it('reads a last row without its newline', async () => {
    const rows = await rowsOf(copyRowBatchesRaw(Readable.from([Buffer.from('a\t{"x":1}\nb\t{}')]), 1));
    expect(rows.map((r) => r.map(String))).toEqual([['a', '{"x":1}'], ['b', '{}']]);
  });
});
