import type { FragmentBatch, FragmentOut } from '@sx/persistence';

/** What to do with each profile's fragments, in key order. A returned promise is awaited before the next profile. */
export interface ProfileFragments {
  /** A profile of one fragment: row `r` of `batch`, left where it lies. */
  single(batch: FragmentBatch, r: number): void | Promise<void>;
  /** A profile of several fragments, as objects (their merge needs them). */
  several(fragments: FragmentOut[]): void | Promise<void>;
}

type Row = readonly [FragmentBatch, number];

/**
 * Groups a read's fragment batches (ordered by profile key) into profiles without making objects
 * of the rows of single-fragment profiles, which most are: the export's fast path then writes them
 * from the chunk's bytes. A profile whose rows run past the end of a batch is held until the next
 * batch shows where it ends. Stops between profiles once `signal` is aborted.
 */
export async function forEachProfile(batches: AsyncIterable<FragmentBatch>, signal: AbortSignal, on: ProfileFragments): Promise<void> {
  /** The rows of the last key of the batches read so far: the next batch may continue it. */
  let open: Row[] = [];
  const emit = (rows: readonly Row[]) => (rows.length === 1 ? on.single(rows[0][0], rows[0][1]) : on.several(rows.map(([b, r]) => b.fragment(r))));

  for await (const batch of batches) {
    if (signal.aborted) return;
    const n = batch.rows;
    let r = 0;
    if (open.length) {
      const [first, at] = open[0];
      for (; r < n && batch.sameKey(r, first, at); r++) open.push([batch, r]);
      if (r === n) continue;
      const written = emit(open);
      open = [];
      if (written) await written;
      if (signal.aborted) return;
    }
    while (r < n) {
      let end = r + 1;
      while (end < n && batch.sameKey(end, batch, r)) end++;
      if (end === n) {
        for (; r < n; r++) open.push([batch, r]);
        break;
      }
      const written = end === r + 1 ? on.single(batch, r) : on.several(fragmentsOf(batch, r, end));
      if (written) await written;
      if (signal.aborted) return;
      r = end;
    }
  }
  if (open.length) {
    const written = emit(open);
    if (written) await written;
  }
}

function fragmentsOf(batch: FragmentBatch, from: number, to: number): FragmentOut[] {
  const out: FragmentOut[] = [];
  for (let r = from; r < to; r++) out.push(batch.fragment(r));
  return out;
}
