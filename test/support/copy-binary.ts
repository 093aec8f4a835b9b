import { Readable } from 'node:stream';
import type { FragmentOut } from '@sx/persistence';

/** Unit specs' encoder of a binary COPY stream as Postgres writes it (format described in libs/persistence/src/copy-out.ts). */
export const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
export const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
export const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

export function copyBinary(rows: Array<Array<Buffer | null>>, extension = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
    int32(0),
    int32(extension.length),
    extension,
    ...rows.map((row) => Buffer.concat([int16(row.length), ...row.map((v) => (v === null ? int32(-1) : Buffer.concat([int32(v.length), v])))])),
    int16(-1),
  ]);
}

/** A timestamptz as COPY binary sends it: microseconds since 2000-01-01. */
const timestamp = (ms: number) => int64(BigInt(ms - Date.UTC(2000, 0, 1)) * 1000n);

/** Fragments as the export read's COPY sends them (the columns of ProfileReadSql), cut into chunks of `chunkBytes`. */
export function fragmentCopyStream(fragments: readonly FragmentOut[], chunkBytes = Infinity): Readable {
  const encoded = copyBinary(
    fragments.map((f) => [
      Buffer.from(f.key),
      f.primaryIdentity === f.key ? null : Buffer.from(f.primaryIdentity),
      f.identitiesJson === undefined ? null : Buffer.from(f.identitiesJson),
      f.membershipAt === undefined ? null : int32(f.membershipAt),
      Buffer.from(f.datasetId),
      timestamp(f.recordTime),
      timestamp(f.ingestTime),
      f.jsonBytes,
    ]),
  );
  const chunks: Buffer[] = [];
  for (let at = 0; at < encoded.length; at += Math.min(chunkBytes, encoded.length)) chunks.push(encoded.subarray(at, at + Math.min(chunkBytes, encoded.length)));
  return Readable.from(chunks);
}
