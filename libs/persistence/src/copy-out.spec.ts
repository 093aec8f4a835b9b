import { Readable } from 'node:stream';
import { copyBinaryBatches } from './copy-out';
import { copyBinary, int32, int64 } from '../../../test/support/copy-binary';

describe('COPY binary decoding', () => {
  // text, json (tabs, newlines, backslashes, non-ASCII: nothing is escaped in binary), int4,
  // timestamptz (microseconds since 2000-01-01), int8; NULLs and an empty string.
  const at = (iso: string) => BigInt(Date.parse(iso) - Date.UTC(2000, 0, 1)) * 1000n;
  const rows = [
    ['Email:ann@x.io', '{"name":"Zoë","note":"a\t\\"b\\"\n"}', -1, '2024-03-01T12:34:56.789Z', 2n ** 40n],
    ['ECID:1', '{}', 123456, '1999-12-31T23:59:59.999Z', -5n],
    ['', null, null, null, null],
  ] as const;
  const encoded = copyBinary(
    rows.map(([key, json, n, time, big]) => [
      Buffer.from(key),
      json === null ? null : Buffer.from(json),
      n === null ? null : int32(n),
      time === null ? null : int64(at(time)),
      big === null ? null : int64(big),
    ]),
  );
  const read = async (chunks: Buffer[]) => {
    const out: unknown[][] = [];
    for await (const b of copyBinaryBatches(Readable.from(chunks), 5)) {
      for (let r = 0; r < b.rows; r++) {
        const bytes = b.bytes(r, 1);
        expect(bytes?.toString('utf8') ?? null).toBe(b.text(r, 1));
        const ms = b.timestampMs(r, 3);
        out.push([b.text(r, 0), b.text(r, 1), b.integer(r, 2), ms === null ? null : new Date(ms).toISOString(), b.integer(r, 4), b.bytes(r, 1) === null]);
      }
    }
    return out;
  };
  const expected = rows.map(([key, json, n, time, big]) => [key, json, n, time, big === null ? null : Number(big), json === null]);

  it('decodes every column type it is used for, whatever the chunking', async () => {
    expect(await read([encoded])).toEqual(expected);
    for (let cut = 1; cut < encoded.length; cut++) {
      const chunks = [encoded.subarray(0, cut), encoded.subarray(cut, cut + 5), encoded.subarray(cut + 5)].filter((c) => c.length);
      expect(await read(chunks)).toEqual(expected);
    }
    // One byte at a time, and a header extension (skipped).
    const withExtension = copyBinary([[Buffer.from('k'), Buffer.from('{}'), int32(7), int64(0n), int64(1n)]], Buffer.from('ext'));
    expect(await read([...withExtension].map((byte) => Buffer.from([byte])))).toEqual([['k', '{}', 7, '2000-01-01T00:00:00.000Z', 1, false]]);
  });

  it('refuses a stream that is not binary COPY, has rows of another width, or is cut short', async () => {
    await expect(read([Buffer.from('a\tb\n'.repeat(10))])).rejects.toThrow(/PGCOPY signature/);
    const narrow = copyBinary([[Buffer.from('a')]]);
    await expect(read([narrow])).rejects.toThrow(/1 fields where 5 were expected/);
    await expect(read([encoded.subarray(0, encoded.length - 10)])).rejects.toThrow(/ended inside a row/);
    await expect(read([encoded.subarray(0, encoded.length - 2)])).rejects.toThrow(/without its end marker/);
  });
});
