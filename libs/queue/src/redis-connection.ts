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
