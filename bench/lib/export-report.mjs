// The export bench's printed figures: one line per export, round, partition count and storage
// (with the same run's `psql \copy` baseline), then each export's S3 leg against its local-disk leg
// (medians of the rounds), then the partitioned legs (bench/lib/partition-report.mjs).
import { fmt } from '../lib.mjs';
import { printPartitionReport } from './partition-report.mjs';
import { median, storeOf } from './stats.mjs';
import { STORAGE_NOTES } from './storage-legs.mjs';

const W = 28;
const range = (xs) => (xs.length > 1 ? `${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}` : '');

export function printReport({ results, seed, storages, runs, loadSeconds = {} }) {
  console.log('');
  console.log(`bench:export  seed=${seed}  rounds=${runs}  (2 cores shared; noisy, compare ratios)  identity graph none unless pdg, timestampOrdered`);
  for (const [sandbox, s] of Object.entries(loadSeconds)) console.log(`  loaded ${sandbox} in ${fmt(s, 1)} s (this run)`);
  for (const s of storages) console.log(`  storage ${s}: ${STORAGE_NOTES[s]}`);
  console.log(
    `  store     records   ${'export'.padEnd(W)} round    K storage   profiles   export s   wall s (POST→SUCCEEDED)   profiles/s (wall)   worker peak RSS   baseline \\copy of the same stored records   ratio (baseline s / wall s)`,
  );
  for (const r of results) {
    console.log(
      `  ${storeOf(r)} ${r.kind.padEnd(W)} ${String(r.round).padStart(5)} ${String(r.partitions).padStart(4)} ${r.storage.padEnd(6)} ${fmt(r.profiles).padStart(10)} ${fmt(r.seconds, 1).padStart(9)} ${fmt(r.wall, 1).padStart(13)}${' '.repeat(13)} ${fmt(r.profiles / r.wall).padStart(17)} ${fmt(r.rss).padStart(10)} MiB   ${fmt(r.rows).padStart(9)} rows in ${fmt(r.baseSeconds, 1).padStart(5)} s (${fmt(r.rows / r.baseSeconds)} rows/s)   ${fmt(r.baseSeconds / r.wall, 2)}x`,
    );
  }
  console.log('  targets (issue #13): every export >= 0.8x of its baseline (wall time); worker peak RSS < 300 MB and the same at 200k and 1M');
  printStorageComparison({ results, storages, runs });
  printPartitionReport({ results, runs });
}

function printStorageComparison({ results, storages, runs }) {
  if (!storages.includes('local') || !storages.includes('s3')) return;
  console.log('');
  console.log('  S3 (s3rver on loopback, same 2 cores: our S3 code path + protocol overhead, not AWS) against local disk,');
  console.log(`  wall time POST→SUCCEEDED, median of ${runs} round(s); per-round ratios in the last column`);
  console.log(`  store     records   ${'export'.padEnd(W)}   local s   profiles/s      s3 s   profiles/s   s3 files   MiB written   ratio s3/local   rounds`);
  // Compared at the same partition count; a count run on one storage only (partitioned legs are
  // local by default) has nothing to compare.
  const groups = new Map();
  for (const r of results) groups.set(`${r.sandbox} ${r.kind} ${r.partitions}`, [...(groups.get(`${r.sandbox} ${r.kind} ${r.partitions}`) ?? []), r]);
  for (const rows of groups.values()) {
    if (!rows.some((r) => r.storage === 'local') || !rows.some((r) => r.storage === 's3')) continue;
    const wall = (s) => rows.filter((r) => r.storage === s).map((r) => r.wall);
    const [l, s] = [median(wall('local')), median(wall('s3'))];
    const perRound = rows.filter((r) => r.storage === 's3').map((r) => r.wall / rows.find((x) => x.storage === 'local' && x.round === r.round).wall);
    const { kind, partitions, profiles } = rows[0];
    const files = median(rows.filter((r) => r.storage === 's3').map((r) => r.files));
    const mib = median(rows.map((r) => r.bytes)) / 2 ** 20;
    console.log(
      `  ${storeOf(rows[0])} ${(partitions > 1 ? `${kind}, K=${partitions}` : kind).padEnd(W)} ${fmt(l, 1).padStart(9)} ${fmt(profiles / l).padStart(12)} ${fmt(s, 1).padStart(9)} ${fmt(profiles / s).padStart(12)} ${fmt(files).padStart(10)}   ${fmt(mib).padStart(11)}   ${fmt(s / l, 2).padStart(13)}x   ${range(perRound)}`,
    );
  }
}
