import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { copyBinaryBatches } from './copy-out';
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
  /** When the sink keeps rows (a diff's batch): the row's primary identity and its profile JSON as written. */
  written?: { namespace: string; id: string; profile: Buffer };
}

/** How a profile moved between the two exports, in one bucket. */
export type DiffChange = 'entered' | 'exited' | 'changed';

/** One row of a diff's batch: the after export's row (the before export's for `exited`). */
export interface ChangedRow {
  bucket: string;
  change: DiffChange;
  namespace: string;
  id: string;
  /** The profile JSON as the export wrote it (a view: valid until the callback returns). */
  profile: Buffer;
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
  /** Whether rows must carry `written` (the diff's batch needs the rows themselves, not only their hashes). */
  readonly keepsRows: boolean;
  write(row: DiffRow): Promise<void> | void;
}

/** Rows buffered before they go to the COPY stream. */
const FLUSH_CHARS = 256 * 1024;

/**
 * The rows of both exports, one (bucket, key) each per side: a profile written twice into a bucket
 * (it should not be) counts once, its hashes joined, so that it is compared as a whole.
 */
const PER_SIDE = `WITH per_side AS (
       SELECT side, bucket, key, string_agg(hash, ',' ORDER BY hash) AS hash
         FROM export_diff_rows GROUP BY side, bucket, key),
     before AS (SELECT bucket, key, hash FROM per_side WHERE side = 'b'),
     after AS (SELECT bucket, key, hash FROM per_side WHERE side = 'a')`;

const COUNT_SQL = `${PER_SIDE}
SELECT coalesce(a.bucket, b.bucket) AS bucket,
       count(*) FILTER (WHERE b.key IS NULL)::int AS entered,
       count(*) FILTER (WHERE a.key IS NULL)::int AS exited,
       count(*) FILTER (WHERE a.key IS NOT NULL AND b.key IS NOT NULL AND a.hash <> b.hash)::int AS changed,
       count(*) FILTER (WHERE a.hash = b.hash)::int AS unchanged
  FROM after a FULL JOIN before b ON a.bucket = b.bucket AND a.key = b.key
 GROUP BY 1
 ORDER BY 1`;

/**
 * The rows of a diff's batch, in a fixed order (bucket, change, key; bytewise), so that the same
 * two exports always give the same files. A profile written twice into one bucket of one side
 * (it should not be) is written once, its first row by hash.
 */
const CHANGED_SQL = `WITH per_side AS (
       SELECT side, bucket, key, string_agg(hash, ',' ORDER BY hash) AS hash,
              (array_agg(ns ORDER BY hash))[1] AS ns, (array_agg(id ORDER BY hash))[1] AS id,
              (array_agg(profile ORDER BY hash))[1] AS profile
         FROM export_diff_rows GROUP BY side, bucket, key),
     before AS (SELECT * FROM per_side WHERE side = 'b'),
     after AS (SELECT * FROM per_side WHERE side = 'a')
SELECT coalesce(a.bucket, b.bucket) AS bucket,
       CASE WHEN b.key IS NULL THEN 'entered' WHEN a.key IS NULL THEN 'exited' ELSE 'changed' END AS change,
       coalesce(a.ns, b.ns) AS ns, coalesce(a.id, b.id) AS id, coalesce(a.profile, b.profile) AS profile
  FROM after a FULL JOIN before b ON a.bucket = b.bucket AND a.key = b.key
 WHERE a.hash IS DISTINCT FROM b.hash
 ORDER BY coalesce(a.bucket, b.bucket) COLLATE "C", 2, coalesce(a.key, b.key) COLLATE "C"`;

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
    return this.inSession(false, load, async (client) => (await client.query<BucketCounts>(COUNT_SQL)).rows);
  }

  /**
   * For a diff's batch: runs `load` with a sink that keeps the rows, counts per bucket, then hands
   * every entered, exited and changed row to `each` in CHANGED_SQL's order (one binary COPY out,
   * awaited row by row: Postgres holds the rows, this process one chunk of them).
   */
  async writeChanged(load: (sink: DiffRowSink) => Promise<void>, each: (row: ChangedRow) => Promise<void> | void): Promise<BucketCounts[]> {
    return this.inSession(true, load, async (client) => {
      const counts = (await client.query<BucketCounts>(COUNT_SQL)).rows;
      const stream = client.query(copyTo(`COPY (${CHANGED_SQL}) TO STDOUT (FORMAT binary)`));
      for await (const batch of copyBinaryBatches(stream, 5)) {
        for (let r = 0; r < batch.rows; r++) {
          await each({ bucket: batch.text(r, 0)!, change: batch.text(r, 1) as DiffChange, namespace: batch.text(r, 2)!, id: batch.text(r, 3)!, profile: batch.bytes(r, 4)! });
        }
      }
      return counts;
    });
  }

  /** One transaction on one bulk connection around the session's table: created, loaded, analysed, then `use`d. */
  private async inSession<T>(keepsRows: boolean, load: (sink: DiffRowSink) => Promise<void>, use: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient | undefined;
    let ok = false;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      await client.query(
        `CREATE TEMPORARY TABLE export_diff_rows (side "char" NOT NULL, bucket text NOT NULL, key text NOT NULL, hash text NOT NULL, ns text, id text, profile text) ON COMMIT DROP`,
      );
      await copyRows(client, keepsRows, load);
      await client.query('ANALYZE export_diff_rows');
      const result = await use(client);
      await client.query('COMMIT');
      ok = true;
      return result;
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
async function copyRows(client: PoolClient, keepsRows: boolean, load: (sink: DiffRowSink) => Promise<void>): Promise<void> {
  const columns = keepsRows ? 'side, bucket, key, hash, ns, id, profile' : 'side, bucket, key, hash';
  const copy = client.query(copyFrom(`COPY export_diff_rows (${columns}) FROM STDIN`));
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
    keepsRows,
    write(row) {
      if (copyError) throw copyError;
      buffer += `${row.side === 'before' ? 'b' : 'a'}\t${copyField(row.bucket)}\t${copyField(row.key)}\t${row.hash}`;
      if (keepsRows) {
        const w = row.written;
        if (!w) throw new Error('a diff row without its written row, for a sink that keeps rows');
        // Decoded now: `profile` may be a view of the reader's chunk, reused once this returns.
        buffer += `\t${copyField(w.namespace)}\t${copyField(w.id)}\t${copyField(w.profile.toString('utf8'))}`;
      }
      buffer += '\n';
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
