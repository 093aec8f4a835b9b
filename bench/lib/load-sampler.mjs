// Where the CPU goes while one export runs, to tell whether Postgres or the workers bound a
// partitioned export's speed-up: every `everyMs` it reads each worker's CPU time and that of the
// PostgreSQL backends serving the bench database (utime + stime in /proc/<pid>/stat), the
// machine's busy time (/proc/stat) and the state and wait event of those backends
// (pg_stat_activity). Only the bench database's backends count: other databases on the same server
// (another engineer's tests) are not this export's load. `stop()` answers the means.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { sh } from '../lib.mjs';

const HZ = Number(sh('getconf', ['CLK_TCK']).trim());

/** utime + stime of a process in clock ticks, or undefined once it has exited. */
function cpuTicks(pid) {
  try {
    // The command name (field 2) may hold spaces: the fields are counted after its closing paren.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Busy and total clock ticks of the whole machine (all cores). */
function machineTicks() {
  const [, ...t] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - t[3] - t[4], total };
}

// The backends of the bench database other than the sampler's own, parallel query workers included.
const ACTIVITY = `SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type IN ('client backend', 'parallel worker')`;

export async function startSampler({ db, workerPids, everyMs = 500 }) {
  const client = new pg.Client({ connectionString: db, application_name: 'bench-load-sampler' });
  await client.connect();
  const last = new Map();
  let machine = machineTicks();
  let at = process.hrtime.bigint();
  const samples = [];
  const waits = new Map();
  let primed = false;

  // CPU% of a process since the previous sample (100 = one core). A backend first seen now
  // counts from now on: its earlier time (an idle pool connection's life) is not this interval's.
  const delta = (pid, seconds) => {
    const ticks = cpuTicks(pid);
    const before = last.get(pid);
    if (ticks !== undefined) last.set(pid, ticks);
    return before === undefined || ticks === undefined ? 0 : ((ticks - before) / HZ / seconds) * 100;
  };

  async function sample() {
    const { rows } = await client.query(ACTIVITY);
    const now = process.hrtime.bigint();
    const seconds = Number(now - at) / 1e9;
    const m = machineTicks();
    const workers = workerPids.map((pid) => delta(pid, seconds));
    const postgres = rows.reduce((sum, r) => sum + delta(r.pid, seconds), 0);
    const busy = m.total > machine.total ? (m.busy - machine.busy) / (m.total - machine.total) : 0;
    [machine, at] = [m, now];
    // The first reading is the baseline of the deltas, not a sample.
    if (!primed) return void (primed = true);
    samples.push({ workers, postgres, busy, backends: rows.length });
    for (const r of rows) {
      // A backend with no wait event is on CPU (or between waits).
      const key = `${r.state ?? '?'} ${r.wait_event_type ? `${r.wait_event_type}:${r.wait_event}` : 'CPU'}`;
      waits.set(key, (waits.get(key) ?? 0) + 1);
    }
  }

  let running = true;
  let failure;
  let wake = () => undefined;
  // A failed sample (the server busy refusing a connection, a race with an exiting backend) must
  // not fail the export being measured: the summary says so instead.
  const trySample = () => sample().catch((e) => void (failure ??= e));
  const loop = (async () => {
    while (running) {
      await trySample();
      await new Promise((r) => ((wake = r), setTimeout(r, everyMs)));
    }
  })();

  return async function stop() {
    running = false;
    wake();
    await loop;
    // One last sample up to the end of the export: a run shorter than the interval still has one.
    await trySample();
    await client.end();
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    return {
      samples: samples.length,
      cores: availableParallelism(),
      workerCpu: workerPids.map((_, i) => mean(samples.map((s) => s.workers[i]))),
      postgresCpu: mean(samples.map((s) => s.postgres)),
      machineBusy: mean(samples.map((s) => s.busy)),
      backends: mean(samples.map((s) => s.backends)),
      // Mean number of backends in each state and wait event per sample.
      waits: Object.fromEntries([...waits].map(([k, n]) => [k, n / Math.max(1, samples.length)])),
      error: failure?.message,
    };
  };
}
