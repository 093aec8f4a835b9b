import { StoreUnavailable } from '@sx/domain';

// Postgres SQLSTATEs and socket errors that mean "the database is not there right now", as opposed
// to a bug: admin shutdown, crash shutdown, cannot connect now, connection failures.
const UNAVAILABLE_CODES = new Set([
  'P1001',
  'P1002',
  'P1017',
  'P2024',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);

function codesOf(e: unknown): string[] {
  const out: string[] = [];
  for (let cur = e as Record<string, unknown> | undefined, depth = 0; cur && depth < 5; depth++) {
    for (const key of ['code', 'originalCode']) if (typeof cur[key] === 'string') out.push(cur[key]);
    const kind = (cur as { cause?: { kind?: string } }).cause?.kind;
    if (kind) out.push(kind);
    cur = cur.cause as Record<string, unknown> | undefined;
  }
  return out;
}

export function isUniqueViolation(e: unknown): boolean {
  return codesOf(e).some((c) => c === 'P2002' || c === '23505' || c === 'UniqueConstraintViolation');
}

function isUnavailable(e: unknown): boolean {
  if (codesOf(e).some((c) => UNAVAILABLE_CODES.has(c) || c === 'DatabaseNotReachable')) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|terminating connection|connect ECONNREFUSED|Can't reach database/i.test(msg);
}

/** Rethrows connection failures as StoreUnavailable (a 503 with Retry-After), anything else as is. */
export function translateStoreError(e: unknown): never {
  if (isUnavailable(e)) throw new StoreUnavailable('The database is unavailable; nothing was changed. Retry later.');
  throw e;
}

/**
 * Runs `work` and answers what it answers; if it fails (throws or rejects), the error leaves
 * through translateStoreError. `refine`, when given, sees the error first and may throw one of its
 * own instead (a client's mistake the database found, say); when it returns, translation follows.
 * The work is awaited inside, so a rejection is translated too, not only a synchronous throw.
 */
export async function withStoreErrors<T>(work: () => Promise<T>, refine?: (e: unknown) => void): Promise<T> {
  try {
    return await work();
  } catch (e) {
    refine?.(e);
    return translateStoreError(e);
  }
}
