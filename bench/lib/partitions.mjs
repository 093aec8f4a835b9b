// The partitioned legs of the export bench: which partition counts K to run (BENCH_PARTITIONS,
// default 1), for which exports (BENCH_PARTITION_KINDS, substrings of the names joined by `|` as in
// BENCH_KINDS; default the reference's projection, `fields ref`) and on which storages
// (BENCH_PARTITION_STORAGE, default local: one S3 leg per K would double the run for a figure the
// S3 section already gives). Every other export runs at K=1 only, as before partitions existed.
// K=1 sends `destination.partitions: 1`: one worker writing the whole job, not split by
// EXPORT_PARTITION_PROFILES (a store of 1M profiles has more fragments than that, and would be
// split into partitions that its one worker then writes one after the other).
import { list } from './matrix.mjs';
import { STORAGES } from './storage-legs.mjs';

// The API's bounds for destination.partitions.
const MAX = 64;

export function partitionPlan(env = process.env) {
  const counts = list(env.BENCH_PARTITIONS, '1').map(Number);
  for (const k of counts) if (!Number.isInteger(k) || k < 1 || k > MAX) throw new Error(`BENCH_PARTITIONS: ${k} is not a whole number from 1 to ${MAX}`);
  const kinds = env.BENCH_PARTITION_KINDS?.trim() || 'fields ref';
  const storages = list(env.BENCH_PARTITION_STORAGE, 'local');
  for (const s of storages) if (!STORAGES.includes(s)) throw new Error(`BENCH_PARTITION_STORAGE: unknown storage ${s} (${STORAGES.join(' or ')})`);
  const partitioned = (kind) => kinds.split('|').some((o) => kind.name.includes(o));
  return {
    counts: [...new Set(counts)],
    partitioned,
    /** The partition counts an export runs at: the selected ones for a partitioned export, else 1. */
    countsOf: (kind) => (partitioned(kind) ? [...new Set(counts)] : [1]),
    /** The storages a leg at K partitions runs on: all of BENCH_STORAGE at K=1, else the partition storages among them. */
    storagesOf: (k, all) => (k === 1 ? all : all.filter((s) => storages.includes(s))),
  };
}

/** The export's POST body with `destination.partitions: k`. */
export const withPartitions = (body, k) => ({ ...body, destination: { ...body.destination, partitions: k } });
