import { createHash } from 'node:crypto';
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { BatchFile } from '@sx/domain';
import type { DiffRowSink } from '@sx/persistence';
import type { DatasetStorage } from '@sx/storage';
import type { DiffSource } from './diff-plan';
import { UnreadableRow, bucketsOfRow } from './jsonl-diff-rows';

/** The columns an export's Parquet file has (apps/worker/src/export/writers/parquet-schema.ts). */
const COLUMNS = ['primaryNamespace', 'primaryId', 'profile'];

/** A stored file as hyparquet reads it: ranged reads through the storage driver, nothing cached. */
function storedBuffer(storage: DatasetStorage, file: BatchFile): AsyncBuffer {
  return {
    byteLength: file.sizeBytes,
    async slice(start, end = file.sizeBytes) {
      if (end <= start) return new ArrayBuffer(0);
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.read(file.storageKey, { start, end: end - 1 })) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    },
  };
}

/**
 * Streams the rows of one Parquet file of `source` into the sink, one row group at a time (the
 * export writes them small): the key is the file's own `primaryNamespace:primaryId`, the hash the
 * sha256 of the `profile` column's bytes as written (handed over undecoded, and kept as they are
 * when the sink keeps rows: a diff's batch).
 */
export async function copyParquetRows(storage: DatasetStorage, file: BatchFile, source: DiffSource, bucket: string | undefined, sink: DiffRowSink): Promise<number> {
  const buffer = storedBuffer(storage, file);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new UnreadableRow(`${file.name} is not a Parquet file (${e instanceof Error ? e.message : String(e)})`);
  }
  let rows = 0;
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, columns: COLUMNS, parsers: { jsonFromBytes: (bytes) => bytes } });
    for (const o of objects as Array<{ primaryNamespace?: unknown; primaryId?: unknown; profile?: unknown }>) {
      rows++;
      if (typeof o.primaryNamespace !== 'string' || typeof o.primaryId !== 'string' || !(o.profile instanceof Uint8Array)) {
        throw new UnreadableRow(`row ${rows} of ${file.name} lacks the primaryNamespace, primaryId and profile columns an export writes`);
      }
      const key = `${o.primaryNamespace}:${o.primaryId}`;
      const hash = createHash('sha256').update(o.profile).digest('hex');
      const profile = bucket === undefined || sink.keepsRows ? parseProfile(o.profile, rows, file.name) : undefined;
      const written = sink.keepsRows
        ? { namespace: o.primaryNamespace, id: o.primaryId, profile: Buffer.from(o.profile.buffer, o.profile.byteOffset, o.profile.byteLength) }
        : undefined;
      for (const b of bucketsOfRow(profile, source, bucket)) await sink.write({ side: source.side, bucket: b, key, hash, written });
    }
    rowStart = rowEnd;
  }
  return rows;
}

/** The profile column parsed: a JSON object, else the row is not one an export wrote. */
function parseProfile(bytes: Uint8Array, row: number, name: string): Record<string, unknown> {
  let profile: unknown;
  try {
    profile = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new UnreadableRow(`the profile of row ${row} of ${name} is not JSON`);
  }
  if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) throw new UnreadableRow(`the profile of row ${row} of ${name} is not a JSON object`);
  return profile as Record<string, unknown>;
}
