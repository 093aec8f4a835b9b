// Shared pieces of the benchmark scripts: child processes, peak memory, timing, psql.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

export const ROOT = new URL('..', import.meta.url).pathname;

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function psql(url, sql) {
  return sh('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql]).trim();
}

/** Peak resident set size of a live process, in MiB (VmHWM: the high-water mark). */
export function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function startApp(app, env, nodeArgs = []) {
  // Benches start several workers on this host: each one's health/metrics listener takes a free port.
  const own = app === 'worker' ? { WORKER_HTTP_PORT: '0' } : {};
  const child = spawn('node', [...nodeArgs, `${ROOT}dist/apps/${app}/src/main.js`], { env: { ...process.env, ...own, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log = (log + d).slice(-20000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  child.logTail = () => log;
  return child;
}

/**
 * Throws when something already listens on `port`: an API started there would fail to bind, and
 * the bench would talk to another process's API (another checkout's, another database).
 */
export async function assertPortFree(port) {
  await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e) => reject(new Error(`port ${port} is taken (${e.code}): set BENCH_PORT to a free port`)));
    server.listen(port, '0.0.0.0', () => server.close(resolve));
  });
}

export async function waitForHttp(url, ms = 30000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not up yet: try again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** Waits until a child started by startApp has written `text` (a start-up log line). */
export async function waitForLog(child, text, ms = 60000) {
  const deadline = Date.now() + ms;
  while (!child.logTail().includes(text)) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before writing ${text}: ${child.logTail()}`);
    if (Date.now() > deadline) throw new Error(`did not write ${text} within ${ms} ms: ${child.logTail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

export const time = async (fn) => {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
};

/** A fresh database for a benchmark, migrated with the project's migrations. */
export function freshDatabase(name) {
  const admin = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  psql(admin, `CREATE DATABASE ${name}`);
  const url = admin.replace(/\/[^/]*$/, `/${name}`);
  sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } });
  return url;
}

export const fmt = (n, digits = 0) => Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The version string the built generator writes into manifest.json. */
export function generatorVersion() {
  return createRequire(import.meta.url)(`${ROOT}dist/apps/cli/src/generate/generate.command.js`).GENERATOR;
}

/**
 * A generated sample of `profiles` at `dir` (`records`: the generator's `--records` shape), reused
 * between runs unless it is missing or was written by another generator version or shape (then it
 * is written again). Answers its manifest.
 */
export function generatedSample(dir, profiles, seed, records = 'generator') {
  const path = `${dir}/manifest.json`;
  const current = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
  if (current?.generator === generatorVersion() && current.records === records && current.profiles === profiles && current.seed === seed) return current;
  sh('node', [`${ROOT}dist/apps/cli/src/main.js`, 'generate', '--profiles', String(profiles), '--seed', String(seed), '--records', records, '--out', dir, '--force']);
  return JSON.parse(readFileSync(path, 'utf8'));
}
