import { createHash, hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parseTopLevelMembers, qualifiesAny, wantedKey } from '@sx/export';
import type { DiffRowSink } from '@sx/persistence';
import type { DiffSource } from './diff-plan';

/**
 * A JSON Lines row's profile key: the identity its identityMap marks primary (the first marked
 * one, in the row's order), else its first identity, as `namespace:id`. identityMap is in every
 * row the export writes, whatever `fields` says, so every JSON Lines export has keys.
 */
export function profileKeyOf(row: Record<string, unknown>): string | undefined {
  const identity = primaryIdentityOf(row);
  return identity && `${identity.namespace}:${identity.id}`;
}

/** The identity profileKeyOf keys a row by, as namespace and id. */
export function primaryIdentityOf(row: Record<string, unknown>): { namespace: string; id: string } | undefined {
  const map = row.identityMap;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return undefined;
  let first: { namespace: string; id: string } | undefined;
  for (const [namespace, entries] of Object.entries(map as Record<string, unknown>)) {
    if (!Array.isArray(entries)) continue;
    for (const e of entries as Array<{ id?: unknown; primary?: unknown } | null>) {
      if (typeof e?.id !== 'string') continue;
      if (e.primary === true) return { namespace, id: e.id };
      first ??= { namespace, id: e.id };
    }
  }
  return first;
}

/** Thrown for a line that is not a row the export could have written. */
export class UnreadableRow extends Error {}

const IDENTITY_MAP = [wantedKey('identityMap')];
const IDENTITY_MAP_AND_MEMBERSHIP = [wantedKey('identityMap'), wantedKey('segmentMembership')];

/**
 * Streams the rows of one JSON Lines file of `source` into the sink: per row its key, the sha256
 * of its bytes (the line without its '\n') and one diff row per bucket it is in; the line itself
 * too when the sink keeps rows (a diff's batch). Memory: one line.
 *
 * Only the members the diff needs are parsed (identityMap, and segmentMembership when the rows'
 * buckets depend on it); the rest of each row is skipped, not parsed (parsing whole rows was most
 * of the diff's time). That the rows are the export's own, whole, is checked on the file instead:
 * its sha256 must be the one its batch recorded (`expectedSha256`), else the diff is refused.
 */
export async function copyJsonlRows(file: Readable, source: DiffSource, bucket: string | undefined, sink: DiffRowSink, name: string, expectedSha256?: string): Promise<number> {
  const keys = bucket === undefined ? IDENTITY_MAP_AND_MEMBERSHIP : IDENTITY_MAP;
  const whole = createHash('sha256');
  let pieces: Buffer[] = [];
  let rows = 0;
  const line = async (bytes: Buffer) => {
    if (bytes.length === 0) return;
    rows++;
    let members: unknown[];
    try {
      members = parseTopLevelMembers(bytes, keys);
    } catch {
      throw new UnreadableRow(`row ${rows} of ${name} is not a JSON object`);
    }
    const row = { identityMap: members[0], segmentMembership: members[1] };
    const identity = primaryIdentityOf(row);
    if (identity === undefined) throw new UnreadableRow(`row ${rows} of ${name} has no identityMap identity to key it by`);
    const key = `${identity.namespace}:${identity.id}`;
    const rowHash = hash('sha256', bytes, 'hex');
    const written = sink.keepsRows ? { ...identity, profile: bytes } : undefined;
    for (const b of bucketsOfRow(row, source, bucket)) await sink.write({ side: source.side, bucket: b, key, hash: rowHash, written });
  };
  for await (const chunk of file as AsyncIterable<Buffer>) {
    whole.update(chunk);
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, nl);
      await line(pieces.length ? Buffer.concat([...pieces, tail]) : tail);
      pieces = [];
      start = nl + 1;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
  }
  if (pieces.length) await line(Buffer.concat(pieces));
  if (expectedSha256 !== undefined && whole.digest('hex') !== expectedSha256) {
    throw new UnreadableRow(`${name} is not the file its batch committed (its sha256 differs from the one recorded): it was changed in storage`);
  }
  return rows;
}

/** The buckets of a row: its batch's, else those of the filters its written membership qualifies for. */
export function bucketsOfRow(row: Record<string, unknown> | undefined, source: DiffSource, bucket: string | undefined): readonly string[] {
  if (bucket !== undefined) return [bucket];
  const filters = source.filters!;
  // Two filter entries of one segment (other statuses) are one bucket: a row is in it once.
  return [...new Set(qualifiesAny(row?.segmentMembership, filters.segments, filters.window).map((i) => filters.buckets[i]))];
}
