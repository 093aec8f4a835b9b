import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { AppConfig, loadConfig } from '@sx/config';
import { S3TestServer, startS3TestServer } from './s3-test-server';
import { localKeysUnder } from './stored-keys';

export const ROOT = join(__dirname, '..', '..');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * One test file's world: its own database (migrated from prisma/migrations, the one schema source)
 * and its own queue prefix, on the real Postgres and Redis.
 */
export interface TestEnv {
  name: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** This env's dataset storage directory (removed on close); the files are there with the local driver. */
  storageRoot: string;
  /** Where the apps of this env keep dataset files: STORAGE_DRIVER. */
  storageDriver: StorageDriver;
  /** Every stored file (object) under `prefix/`, whichever the driver: a check that nothing was left behind. */
  storedKeys(prefix: string): Promise<string[]>;
  /** Config as the apps would load it from these variables (plus any overrides). */
  config(overrides?: Record<string, string>): AppConfig;
  /** Environment for child processes (built worker, CLI). */
  childEnv(overrides?: Record<string, string>): NodeJS.ProcessEnv;
  /** Direct SQL, for arranging states the API cannot reach yet and for checking what is stored. */
  db: Pool;
  redis: Redis;
  /** Deletes this env's Redis keys: what a Redis restart without persistence does to it. */
  flushQueueKeys(): Promise<number>;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export type StorageDriver = 'local' | 's3';

/**
 * `storage: 's3'` starts a real S3-protocol server for this env (s3rver on loopback, see
 * s3-test-server.ts) and points every app of the env at it.
 */
export async function createTestEnv(label: string, options: { storage?: StorageDriver } = {}): Promise<TestEnv> {
  const name = `sx_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const databaseUrl = withDatabase(ADMIN_URL, name);
  const db = new Pool({ connectionString: databaseUrl, max: 4 });
  // pool.end() resolves before its clients' sockets have closed; DROP DATABASE ... WITH (FORCE)
  // in close() can then terminate one, whose error the pool re-emits: expected, not a failure.
  db.on('error', () => undefined);
  const migrations = join(ROOT, 'prisma', 'migrations');
  for (const dir of readdirSync(migrations, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    await db.query(readFileSync(join(migrations, dir, 'migration.sql'), 'utf8'));
  }

  const queuePrefix = `t_${name}`;
  const storageRoot = mkdtempSync(join(tmpdir(), `${name}-`));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  const s3: S3TestServer | undefined = options.storage === 's3' ? await startS3TestServer() : undefined;
  const vars = (overrides: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'silent',
    // Tests start several workers per env: each one's health/metrics listener takes a free port.
    WORKER_HTTP_PORT: '0',
    RECONCILE_INTERVAL_MS: '500',
    STORAGE_ROOT: storageRoot,
    ...s3?.env,
    ...overrides,
  });

  const flushQueueKeys = async () => {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  };

  return {
    name,
    databaseUrl,
    redisUrl: REDIS_URL,
    queuePrefix,
    storageRoot,
    storageDriver: s3 ? 's3' : 'local',
    storedKeys: (prefix) => (s3 ? s3.keys(prefix) : localKeysUnder(storageRoot, prefix)),
    config: (overrides) => loadConfig({ NODE_ENV: 'test', ...vars(overrides) }),
    childEnv: (overrides) => ({ PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...vars(overrides) }),
    db,
    redis,
    flushQueueKeys,
    async close() {
      await flushQueueKeys().catch(() => undefined);
      redis.disconnect();
      await db.end();
      const a = new Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
      rmSync(storageRoot, { recursive: true, force: true });
      await s3?.close();
    },
  };
}
