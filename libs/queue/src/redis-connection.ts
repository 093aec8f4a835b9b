/** The connection fields both ioredis and BullMQ accept. */
export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

/** ioredis options from a redis:// or rediss:// URL (user, password, db number as the path). */
export function redisOptionsFromUrl(url: string): RedisEndpoint {
  const u = new URL(url);
  const options: RedisEndpoint = {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db) options.db = Number(db);
  if (u.protocol === 'rediss:') options.tls = {};
  return options;
}

/** What a connection is for; each role has the one set of options below. */
export type RedisRole = 'producer' | 'worker' | 'subscriber' | 'publisher';

/**
 * The one place Redis connections are configured.
 * - producer (API and worker queues): fail fast when Redis is down, no offline queue; Postgres
 *   holds what must be enqueued and the dispatchers retry, so no caller hangs on Redis.
 * - worker and subscriber: blocking commands that must wait out a reconnect.
 * - publisher (cancel signals): one retry, bounded by `commandTimeoutMs`.
 */
export function redisConnection(url: string, role: RedisRole, commandTimeoutMs?: number) {
  const endpoint = redisOptionsFromUrl(url);
  switch (role) {
    case 'producer':
      return { ...endpoint, enableOfflineQueue: false, maxRetriesPerRequest: 1 };
    case 'worker':
    case 'subscriber':
      return { ...endpoint, maxRetriesPerRequest: null };
    case 'publisher':
      return { ...endpoint, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs };
  }
}
