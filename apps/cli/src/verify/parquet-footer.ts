import { open } from 'node:fs/promises';
import { parquetMetadata } from 'hyparquet';

const MAGIC = 'PAR1';

/**
 * The row count a Parquet file's footer records, read by hyparquet from the file's tail only
 * (`<footer><length: 4 bytes LE>PAR1`): a large file is not read whole. An error when it is not a
 * Parquet file.
 */
export async function parquetRowCount(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size < 12) throw new Error('too short to be a Parquet file');
    const end = Buffer.alloc(8);
    await file.read(end, 0, 8, size - 8);
    if (end.toString('latin1', 4) !== MAGIC) throw new Error('not a Parquet file (no PAR1 at its end)');
    const length = end.readUInt32LE(0);
    if (length > size - 12) throw new Error('its Parquet footer length is larger than the file');
    const tail = new Uint8Array(length + 8);
    await file.read(tail, 0, length + 8, size - 8 - length);
    return Number(parquetMetadata(tail.buffer).num_rows);
  } finally {
    await file.close();
  }
}
