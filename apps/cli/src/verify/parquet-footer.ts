import { open } from 'node:fs/promises';

const MAGIC = 'PAR1';

/** Thrift compact protocol types (the encoding of Parquet's footer). */
const T = { stop: 0, true: 1, false: 2, byte: 3, i16: 4, i32: 5, i64: 6, double: 7, binary: 8, list: 9, set: 10, map: 11, struct: 12 } as const;

/**
 * Reads just enough of a Thrift compact struct to find one field: FileMetaData's num_rows (field
 * 3, an i64). The CLI carries no Parquet reader (hyparquet is a dev dependency here), and the row
 * count is all `verify` needs of the footer: version (1) and the schema list (2) come first, and
 * are skipped.
 */
class CompactReader {
  private at = 0;
  constructor(private readonly b: Buffer) {}

  private byte(): number {
    if (this.at >= this.b.length) throw new Error('the Parquet footer ends early');
    return this.b[this.at++];
  }

  private varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      if (shift > 63n) throw new Error('a varint in the Parquet footer is too long');
    }
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  private skip(type: number): void {
    switch (type) {
      case T.true:
      case T.false:
        return;
      case T.byte:
        this.at += 1;
        return;
      case T.i16:
      case T.i32:
      case T.i64:
        this.varint();
        return;
      case T.double:
        this.at += 8;
        return;
      case T.binary: {
        // Read the length first: `this.at += …` would add it to the position before the length.
        const length = Number(this.varint());
        this.at += length;
        return;
      }
      case T.list:
      case T.set: {
        const header = this.byte();
        const size = header >> 4 === 15 ? Number(this.varint()) : header >> 4;
        const element = header & 0x0f;
        // Booleans in a list take one byte each.
        const skipOne = element === T.true || element === T.false ? () => void this.byte() : () => this.skip(element);
        for (let i = 0; i < size; i++) skipOne();
        return;
      }
      case T.map: {
        const size = Number(this.varint());
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case T.struct:
        for (let f = this.fieldHeader(0); f.type !== T.stop; f = this.fieldHeader(f.id)) this.skip(f.type);
        return;
      default:
        throw new Error(`unknown Thrift type ${type} in the Parquet footer`);
    }
  }

  private fieldHeader(lastId: number): { id: number; type: number } {
    const header = this.byte();
    const type = header & 0x0f;
    if (type === T.stop) return { id: 0, type };
    const delta = header >> 4;
    return { id: delta ? lastId + delta : Number(this.zigzag()), type };
  }

  /** The i64 field `wanted` of the top-level struct. */
  i64Field(wanted: number): bigint {
    for (let f = this.fieldHeader(0); f.type !== T.stop; f = this.fieldHeader(f.id)) {
      if (f.id === wanted && f.type === T.i64) return this.zigzag();
      this.skip(f.type);
    }
    throw new Error(`the Parquet footer has no field ${wanted}`);
  }
}

/** num_rows of a Parquet file's footer (`<footer><length: 4 bytes LE>PAR1` at its end). */
export function parquetRowsOfFooter(tail: Buffer): number {
  return Number(new CompactReader(tail).i64Field(3));
}

/** The row count a Parquet file's footer records; an error when it is not a Parquet file. */
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
    const footer = Buffer.alloc(length);
    await file.read(footer, 0, length, size - 8 - length);
    return parquetRowsOfFooter(footer);
  } finally {
    await file.close();
  }
}
