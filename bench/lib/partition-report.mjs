// The export bench's partitioned section: per store, export, storage and partition count K, the
// median wall time POST→SUCCEEDED over the rounds, profiles/s, the speed-up over the same run's
// K=1 leg, the ratio against the `psql \copy` baseline, and where the CPU went while it ran (the
// load sampler's means over the rounds), so that a reader can tell whether Postgres, the workers
// or the machine's cores bound the speed-up.
import { fmt } from '../lib.mjs';
import { median, storeOf } from './stats.mjs';

const W = 28;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The sampler summaries of a group's rounds folded into one: means of the means. */
function foldLoads(loads) {
  if (!loads.length) return undefined;
  const waits = {};
  for (const l of loads) for (const [k, n] of Object.entries(l.waits)) waits[k] = (waits[k] ?? 0) + n / loads.length;
  return {
    samples: loads.reduce((a, l) => a + l.samples, 0),
    cores: loads[0].cores,
    workerCpu: loads[0].workerCpu.map((_, i) => mean(loads.map((l) => l.workerCpu[i]))),
    postgresCpu: mean(loads.map((l) => l.postgresCpu)),
    machineBusy: mean(loads.map((l) => l.machineBusy)),
    backends: mean(loads.map((l) => l.backends)),
    waits,
    error: loads.find((l) => l.error)?.error,
  };
}

// The busiest non-idle states and wait events (mean backends per sample), then the idle ones summed.
function topWaits(waits, n = 3) {
  const entries = Object.entries(waits).sort((a, b) => b[1] - a[1]);
  // "idle in transaction" is not idle: a client holding a transaction open while it works.
  const isIdle = (k) => /^idle (?!in transaction)/.test(k);
  const busy = entries.filter(([k]) => !isIdle(k));
  const idle = entries.filter(([k]) => isIdle(k)).reduce((a, [, v]) => a + v, 0);
  return [...busy.slice(0, n).map(([k, v]) => `${k} ${fmt(v, 1)}`), `idle ${fmt(idle, 1)}`].join(', ');
}

// A first reading of the figures, not a verdict: the table's columns are what it rests on.
function hint(load) {
  if (!load?.samples) return 'no samples';
  const perWorker = mean(load.workerCpu);
  if (load.machineBusy >= 0.9) return `cores (${load.cores} busy)`;
  if (perWorker >= 85) return 'workers';
  // Each partition reads through a backend of its own: near a core per partition is Postgres's limit.
  if (load.postgresCpu / load.workerCpu.length >= 85) return 'postgres';
  return 'waits';
}

export function printPartitionReport({ results, runs }) {
  const groups = new Map();
  for (const r of results.filter((r) => r.load)) {
    const key = `${r.sandbox}\t${r.kind}\t${r.storage}\t${r.partitions}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  if (![...groups.values()].some(([r]) => r.partitions > 1)) return;
  const wallOf = (sandbox, kind, storage, k) => {
    const rows = groups.get(`${sandbox}\t${kind}\t${storage}\t${k}`);
    return rows && median(rows.map((r) => r.wall));
  };
  console.log('');
  console.log(`  partitioned exports: destination.partitions = K, K worker processes; wall s POST→SUCCEEDED, median of ${runs} round(s);`);
  console.log("  CPU% is 100 per core (each worker; the sum of the bench database's Postgres backends), sampled every 0.5 s, mean over the run;");
  console.log('  waits: mean backends per sample in each pg_stat_activity state and wait event ("CPU": no wait event)');
  console.log(
    `  store     records   ${'export'.padEnd(W)} storage   K     wall s   profiles/s   speed-up vs K=1   baseline s   ratio (baseline s / wall s)   worker CPU% (each)   postgres CPU%   machine busy   hint      waits`,
  );
  for (const rows of groups.values()) {
    const { sandbox, kind, storage, partitions: k, profiles } = rows[0];
    const wall = median(rows.map((r) => r.wall));
    const one = wallOf(sandbox, kind, storage, 1);
    const base = rows[0].baseSeconds;
    const load = foldLoads(rows.map((r) => r.load));
    const cpu = load?.samples ? load.workerCpu.map((c) => fmt(c)).join('/') : '—';
    console.log(
      `  ${storeOf(rows[0])} ${kind.padEnd(W)} ${storage.padEnd(6)} ${String(k).padStart(4)} ${fmt(wall, 1).padStart(10)} ${fmt(profiles / wall).padStart(12)} ${(one ? `${fmt(one / wall, 2)}x` : 'no K=1 leg').padStart(17)} ${fmt(base, 1).padStart(12)} ${`${fmt(base / wall, 2)}x`.padStart(29)}   ${cpu.padEnd(18)} ${(load?.samples ? fmt(load.postgresCpu) : '—').padStart(13)} ${(load?.samples ? `${fmt(load.machineBusy * 100)}%` : '—').padStart(14)}   ${hint(load).padEnd(9)} ${load?.samples ? topWaits(load.waits) : ''}${load?.error ? `  (a sample failed: ${load.error})` : ''}`,
    );
  }
  console.log('  hint: "cores" = the machine was >= 90% busy (workers and Postgres share its cores); "workers" = each worker near a full core;');
  console.log('  "postgres" = the backends used near a core per partition; "waits" = neither was busy (see the waits: IO, locks, client reads)');
}
