import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { AppConfig } from '@sx/config';
import { translateStoreError } from './store-errors';

/**
 * A plain pg pool for bulk paths (COPY in, cursors out) that Prisma cannot stream. Only
 * repositories of this library use it.
 */
@Injectable()
export class BulkPool extends Pool implements OnApplicationShutdown {
  constructor(config: AppConfig) {
    super({
      connectionString: config.DATABASE_URL,
      // Each running export or evaluation holds up to three COPY streams (fragments, events, evaluated
      // memberships) and one more to stage deltas; ingestion one connection per COMPLETE.
      max: Math.max(6, 4 * config.WORKER_CONCURRENCY + 2),
      connectionTimeoutMillis: 30_000,
      // The SQL literals of the bulk paths (copy-out.ts sqlString) rely on standard_conforming_strings.
      // Every ingest and export session has deadlines: a statement (a COPY included) that runs past
      // DB_STATEMENT_TIMEOUT_MS, or a transaction left idle past DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      // is ended by the server, so nothing can hold a pool connection for ever.
      options: [
        '-c standard_conforming_strings=on',
        `-c statement_timeout=${config.DB_STATEMENT_TIMEOUT_MS}`,
        `-c idle_in_transaction_session_timeout=${config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
      ].join(' '),
    });
    // An idle client whose server went away must not crash the process; the next checkout reconnects.
    this.on('error', () => undefined);
  }

  /** Last shutdown phase: consumers stopped in onModuleDestroy may still have needed us. */
  async onApplicationShutdown(): Promise<void> {
    await this.end();
  }
}

/**
 * Runs `work` in a transaction of its own on a client of `pool`: BEGIN, the work, COMMIT. Any
 * failure rolls back (a failed ROLLBACK is ignored) and leaves through translateStoreError; the
 * client goes back to the pool either way.
 */
export async function inPoolTransaction<T>(pool: Pick<Pool, 'connect'>, work: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client?.query('ROLLBACK').catch(() => undefined);
    return translateStoreError(e);
  } finally {
    client?.release();
  }
}
