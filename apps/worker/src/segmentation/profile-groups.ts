import type { EvaluatedOut, EventOut, FragmentOut, ProfileReader } from '@sx/persistence';
import { compareKeys } from '../export/key-order';

/** Everything the read path sent for one profile key. */
export interface ProfileGroup {
  key: string;
  /** Empty for an event-only profile. */
  fragments: FragmentOut[];
  events: EventOut[];
  evaluated: EvaluatedOut[];
}

/** One row at a time from a stream of row batches. */
class RowCursor<T> {
  private batch: T[] = [];
  private i = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<T[]> | undefined) {
    if (!it) this.done = true;
  }
  async peek(): Promise<T | undefined> {
    while (this.i >= this.batch.length) {
      if (this.done) return undefined;
      const r = await this.it!.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      this.batch = r.value;
      this.i = 0;
    }
    return this.batch[this.i];
  }
  take(): T {
    return this.batch[this.i++];
  }
  /** Takes every row with this key (rows before it were consumed already). */
  async takeKey(key: string, into: T[], keyOf: (row: T) => string): Promise<void> {
    for (let r = await this.peek(); r && keyOf(r) === key; r = await this.peek()) into.push(this.take());
  }
  /** Drops rows whose key sorts before `key` (evaluated rows of profiles that no longer exist). */
  async skipBefore(key: string, keyOf: (row: T) => string): Promise<void> {
    for (let r = await this.peek(); r && compareKeys(keyOf(r), key) < 0; r = await this.peek()) this.take();
  }
}

const keyOf = (r: { key: string }) => r.key;

/**
 * Joins the reader's streams (all ordered by profile key under COLLATE "C") into one group per
 * profile: its fragments, its events and its evaluated memberships. A key with events but no
 * fragments is an event-only profile; evaluated rows of a key with neither are skipped. Memory:
 * one profile (plus one chunk per stream).
 */
export async function* profileGroups(reader: ProfileReader): AsyncGenerator<ProfileGroup> {
  const fragments = new RowCursor(reader.fragments[Symbol.asyncIterator]());
  const events = new RowCursor(reader.events?.[Symbol.asyncIterator]());
  const evaluated = new RowCursor(reader.evaluated?.[Symbol.asyncIterator]());
  for (;;) {
    const f = await fragments.peek();
    const e = await events.peek();
    if (!f && !e) return;
    const key = !f ? e!.key : !e ? f.key : compareKeys(e.key, f.key) < 0 ? e.key : f.key;
    const group: ProfileGroup = { key, fragments: [], events: [], evaluated: [] };
    await fragments.takeKey(key, group.fragments, keyOf);
    await events.takeKey(key, group.events, keyOf);
    await evaluated.skipBefore(key, keyOf);
    await evaluated.takeKey(key, group.evaluated, keyOf);
    yield group;
  }
}
