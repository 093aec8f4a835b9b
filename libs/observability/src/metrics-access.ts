import { timingSafeEqual } from 'node:crypto';

/** Whether a /metrics request may read: always without METRICS_TOKEN, else only with `Bearer <token>`. */
export function metricsReadable(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
