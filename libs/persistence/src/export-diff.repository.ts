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

/** Whether a side wrote a profile twice into one bucket (it should not: then the slower, exact form is used). */
const DUPLICATES_SQL = `SELECT EXISTS (SELECT 1 FROM export_diff_rows GROUP BY side, bucket, key HAVING count(*) > 1) AS duplicates`;

/**
 * The rows of both exports, one (bucket, key) each per side, with `first_hash` the hash of the row
 * a diff's batch writes. Without duplicates, the rows as they are (grouping 400k rows cost three
 * times the whole join). With them, each (bucket, key) of a side once, its hashes joined, so that
 * it is compared as a whole, and its row of the lowest hash written.
 */
function sidesSql(duplicates: boolean): string {
  const perSide = duplicates
    ? `SELECT side, bucket, key, string_agg(hash, ',' ORDER BY hash) AS hash, min(hash) AS first_hash FROM export_diff_rows GROUP BY side, bucket, key`
    : `SELECT side, bucket, key, hash, hash AS first_hash FROM export_diff_rows`;
  return `WITH per_side AS (${perSide}),
     before AS (SELECT bucket, key, hash, first_hash FROM per_side WHERE side = 'b'),
     after AS (SELECT bucket, key, hash, first_hash FROM per_side WHERE side = 'a')`;
}

const countSql = (duplicates: boolean) => `${sidesSql(duplicates)}
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
 * two exports always give the same files. The moved (bucket, key)s are found on the hashes alone,
 * then joined back to their rows: the profiles are neither sorted nor aggregated, only fetched for
 * the rows written (DISTINCT ON: one row should a side hold the same row twice).
 */
const changedSql = (duplicates: boolean) => `${sidesSql(duplicates)},
     moved AS (
       SELECT coalesce(a.bucket, b.bucket) AS bucket, coalesce(a.key, b.key) AS key,
              CASE WHEN b.key IS NULL THEN 'entered' WHEN a.key IS NULL THEN 'exited' ELSE 'changed' END AS change,
              CASE WHEN a.key IS NULL THEN 'b' ELSE 'a' END::"char" AS side,
              coalesce(a.first_hash, b.first_hash) AS hash
         FROM after a FULL JOIN before b ON a.bucket = b.bucket AND a.key = b.key
        WHERE a.hash IS DISTINCT FROM b.hash)
SELECT DISTINCT ON (m.bucket, m.change, m.key) m.bucket, m.change, r.ns, r.id, r.profile
  FROM moved m JOIN export_diff_rows r ON r.side = m.side AND r.bucket = m.bucket AND r.key = m.key AND r.hash = m.hash
 ORDER BY m.bucket, m.change, m.key`;

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
    return this.inSession(false, load, async (client) => (await client.query<BucketCounts>(countSql(await hasDuplicates(client)))).rows);
  }

  /**
   * For a diff's batch: runs `load` with a sink that keeps the rows, counts per bucket, then hands
   * every entered, exited and changed row to `each` in changedSql's order (one binary COPY out,
   * awaited row by row: Postgres holds the rows, this process one chunk of them).
   */
  async writeChanged(load: (sink: DiffRowSink) => Promise<void>, each: (row: ChangedRow) => Promise<void> | void): Promise<BucketCounts[]> {
    return this.inSession(true, load, async (client) => {
      const duplicates = await hasDuplicates(client);
      const counts = (await client.query<BucketCounts>(countSql(duplicates))).rows;
      const stream = client.query(copyTo(`COPY (${changedSql(duplicates)}) TO STDOUT (FORMAT binary)`));
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
        // "C": bytewise comparisons, whatever the database's collation (faster, and the batch's order with them).
        `CREATE TEMPORARY TABLE export_diff_rows (side "char" NOT NULL, bucket text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, hash text COLLATE "C" NOT NULL, ns text, id text, profile text) ON COMMIT DROP`,
      );
      await copyRows(client, keepsRows, load);
      await client.query('ANALYZE export_diff_rows');
      const result = await use(client);
      await client.query('COMMIT');
      ok = true;
      return result;
    } catch (e) {
      return translateStoreError(e);
    } finally {
      // On failure no ROLLBACK: a COPY out cut short leaves the connection mid-protocol, where a
      // queued ROLLBACK would wait for ever (and hold the job with it). The connection is
      // destroyed instead, which ends the transaction, and drops its table, on the server.
      client?.release(!ok);
    }
  }
}

async function hasDuplicates(client: PoolClient): Promise<boolean> {
  return (await client.query<{ duplicates: boolean }>(DUPLICATES_SQL)).rows[0].duplicates;
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
