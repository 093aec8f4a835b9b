// The worker processes of one export leg: K of them (one per partition, so that each child job
// can be taken by a process of its own), started with the same env and node arguments, and
// waited for until each has written its start-up line, so that the wall time starts at running
// workers, not at their boot. Each worker takes one job at a time (WORKER_CONCURRENCY, default 1).
import { peakRssMiB, startApp, stop, waitForLog } from '../lib.mjs';

export async function startWorkers(count, env, nodeArgs) {
  const procs = Array.from({ length: count }, () => startApp('worker', env, nodeArgs));
  const workers = {
    pids: procs.map((p) => p.pid),
    /** Each worker's peak RSS in MiB, read while they are still alive. */
    peakRss: () => procs.map((p) => peakRssMiB(p.pid)),
    logTail: () => procs.map((p, i) => (count > 1 ? `--- worker ${i + 1} of ${count} (pid ${p.pid})\n` : '') + p.logTail()).join('\n'),
    stop: () => Promise.all(procs.map(stop)),
  };
  try {
    await Promise.all(procs.map((p) => waitForLog(p, 'worker started')));
  } catch (e) {
    await workers.stop();
    throw e;
  }
  return workers;
}
