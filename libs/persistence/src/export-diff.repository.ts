import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BulkPool } from './bulk-pool';
import { copyField } from './copy-text';
import { translateStoreError } from './store-errors';

/** Which export a row was written by: `before` is the diff's `{id}`, `after` its `{otherId}`. */
export type DiffSide = 'before' | 'after';

/** One written row as the diff compares it. */
export interface DiffRow {
  side: DiffSide;
  /** `ns:segmentId`, or `*` for an export without segment filters. */
  bucket: string;
  /** The profile's key (its primary identity as the export wrote it). */
  key: string;
  /** sha256 (hex) of the row's written bytes. */
  hash: string;
}

export interface BucketCounts {
  bucket: string;
  entered: number;
  exited: number;
  changed: number;
  unchanged: number;
}

/** Where the caller streams rows; `write` resolves once the COPY can take more (backpressure). */
export interface DiffRowSink {
  write(row: DiffRow): Promise<void> | void;
}

/** Rows buffered before they go to the COPY stream. */
const FLUSH_CHARS = 256 * 1024;

/**
 * The rows of both exports, one (bucket, key) each per side: a profile written twice into a bucket
 * (it should not be) counts once, its hashes joined, so that it is compared as a whole.
 */
const COUNT_SQL = `WITH per_side AS (
       SELECT side, bucket, key, string_agg(hash, ',' ORDER BY hash) AS hash
         FROM export_diff_rows GROUP BY side, bucket, key),
     before AS (SELECT bucket, key, hash FROM per_side WHERE side = 'b'),
     after AS (SELECT bucket, key, hash FROM per_side WHERE side = 'a')
SELECT coalesce(a.bucket, b.bucket) AS bucket,
       count(*) FILTER (WHERE b.key IS NULL)::int AS entered,
       count(*) FILTER (WHERE a.key IS NULL)::int AS exited,
       count(*) FILTER (WHERE a.key IS NOT NULL AND b.key IS NOT NULL AND a.hash <> b.hash)::int AS changed,
       count(*) FILTER (WHERE a.hash = b.hash)::int AS unchanged
  FROM after a FULL JOIN before b ON a.bucket = b.bucket AND a.key = b.key
 GROUP BY 1
 ORDER BY 1`;

/**
 * The diff of two exports (GET /export/jobs/{id}/diff/{otherId}), counted in Postgres so that
 * memory stays flat whatever the exports' size: the caller streams every written row's (bucket,
 * key, hash) into a temporary table by COPY, and one query counts per bucket (sorts and joins
 * spill to disk past work_mem). The table lives in one transaction (ON COMMIT DROP) on one
 * connection: nothing is left behind, whatever happens. No tenant rows are read or written here:
 * the caller has already scoped what it streams (the two jobs and their batches are the caller's).
 */
@Injectable()
export class ExportDiffRepository {
  constructor(private readonly pool: BulkPool) {}

  /** Runs `load` with a sink into the session's table, then counts per bucket. */
  async count(load: (sink: DiffRowSink) => Promise<void>): Promise<BucketCounts[]> {
    let client: PoolClient | undefined;
    let ok = false;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await client.query(`CREATE TEMPORARY TABLE export_diff_rows (side "char" NOT NULL, bucket text NOT NULL, key text NOT NULL, hash text NOT NULL) ON COMMIT DROP`);
      await copyRows(client, load);
      await client.query('ANALYZE export_diff_rows');
      const result = await client.query<BucketCounts>(COUNT_SQL);
      await client.query('COMMIT');
      ok = true;
      return result.rows;
    } catch (e) {
      await client?.query('ROLLBACK').catch(() => undefined);
      return translateStoreError(e);
    } finally {
      // A connection whose COPY was cut off is not reused.
      client?.release(!ok);
    }
  }
}

/** One COPY of what `load` writes; a failure of either side ends both (the transaction rolls back). */
async function copyRows(client: PoolClient, load: (sink: DiffRowSink) => Promise<void>): Promise<void> {
  const copy = client.query(copyFrom('COPY export_diff_rows (side, bucket, key, hash) FROM STDIN'));
  let copyError: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    copy.on('finish', resolve);
    copy.on('error', (e: Error) => {
      copyError = e;
      reject(e);
    });
  });
  done.catch(() => undefined);
  let buffer = '';
  const flush = async () => {
    if (!buffer) return;
    const ok = copy.write(buffer);
    buffer = '';
    if (!ok) await new Promise<void>((resolve) => copy.once('drain', resolve)).then(() => undefined);
  };
  const sink: DiffRowSink = {
    write(row) {
      if (copyError) throw copyError;
      buffer += `${row.side === 'before' ? 'b' : 'a'}\t${copyField(row.bucket)}\t${copyField(row.key)}\t${row.hash}\n`;
      return buffer.length >= FLUSH_CHARS ? Promise.race([flush(), done]) : undefined;
    },
  };
  try {
    await load(sink);
    await flush();
  } catch (e) {
    copy.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
  copy.end();
  await done;
}
