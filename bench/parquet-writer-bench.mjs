// node bench/parquet-writer-bench.mjs (after `npm run build`): a micro-benchmark of the export
// file writers, without Postgres, Redis or the worker. Pushes generated XDM-like profiles (~1 KB
// of JSON each: identityMap, person, addresses, loyalty, interests, segmentMembership) through
// ParquetRowWriter and, as the baseline, JsonlRowWriter, into a file under the temp directory
// (or a discarding Writable), each run in a fresh child process so that its peak RSS is its own.
// A "generate" run builds the rows and drops them: the cost of the input alone.
//
// Environment:
//   BENCH_ROWS=1300000[,130000...]  row counts (default 1,300,000)
//   BENCH_MODES=generate,jsonl,parquet
//   BENCH_SINK=file|null            file under $TMPDIR (default) or a Writable that discards
//   BENCH_ROW_GROUP_ROWS=5000       as the worker's PARQUET_ROW_GROUP_ROWS with one output
//   BENCH_VERIFY=1                  read the Parquet file back with hyparquet (row count, schema, last row)
//   BENCH_SEED=42
//   BENCH_WRITERS=<dir>             compiled writers to load instead of dist/apps/worker/src/export/writers
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// BENCH_WRITERS: another build of the writers folder (e.g. to compare two versions).
const WRITERS = resolve(process.env.BENCH_WRITERS ?? join(ROOT, 'dist/apps/worker/src/export/writers'));
const writerModule = (name) => import(pathToFileURL(join(WRITERS, name)).href);

// ---------------------------------------------------------------- profile generator

/** mulberry32: small, fast, deterministic. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.pick = (list) => list[Math.floor(next() * list.length)];
  next.digits = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += (next() * 10) | 0;
    return s;
  };
  next.hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[(next() * 16) | 0];
    return s;
  };
  return next;
}

const FIRST = [
  'Anna',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Elena',
  'Farid',
  'Grace',
  'Hiroshi',
  'Inès',
  'Jonas',
  'Kofi',
  'Laura',
  'Mateo',
  'Noor',
  'Olivia',
  'Pål',
  'Quentin',
  'Rosa',
  'Sven',
  'Tomás',
  'Uma',
  'Viktor',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoë',
];
const LAST = [
  'Müller',
  'Smith',
  'García',
  'Nguyen',
  'Kowalski',
  'Rossi',
  'Dubois',
  'Tanaka',
  'Johansson',
  'Okafor',
  'Silva',
  'Novak',
  'Murphy',
  'Schmidt',
  'Brown',
  'Leroy',
  'Jensen',
  'Costa',
  'Fischer',
  'Martin',
];
const CITIES = [
  ['US', 'San Jose', 'CA', '951'],
  ['US', 'Austin', 'TX', '787'],
  ['US', 'Boston', 'MA', '021'],
  ['US', 'Seattle', 'WA', '981'],
  ['DE', 'München', 'BY', '80'],
  ['DE', 'Hamburg', 'HH', '20'],
  ['FR', 'Lyon', 'ARA', '690'],
  ['FR', 'Paris', 'IDF', '750'],
  ['GB', 'London', 'ENG', 'SW1'],
  ['GB', 'Leeds', 'ENG', 'LS1'],
  ['CA', 'Toronto', 'ON', 'M5V'],
  ['CA', 'Montréal', 'QC', 'H2X'],
];
const STREETS = ['Main St', 'Oak Avenue', 'Hauptstraße', 'Rue de la Paix', 'High Street', 'Maple Road', 'Elm Drive', 'King St W'];
const INTERESTS = ['running', 'travel', 'cooking', 'gaming', 'photography', 'yoga', 'cycling', 'music', 'fashion', 'gardening', 'hiking', 'wine'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];

/** A fixed pool of segment ids, as a sandbox would have. */
function segmentIds(seed) {
  const r = rng(seed ^ 0x5e6);
  return Array.from({ length: 64 }, () => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`);
}

const FROM = Date.UTC(2024, 0, 1);
const SPAN = Date.UTC(2026, 9, 31) - FROM;

/** Profile i as the export pipeline hands it over: already serialised, as UTF-8 bytes (`json`: the same text). */
export function profileRows(seed) {
  const segments = segmentIds(seed);
  const r = rng(seed);
  const row = { primaryNamespace: '', primaryId: '', profileParts: { head: new Uint8Array(0), tail: '' }, json: '' };
  const time = () => new Date(FROM + Math.floor(r() * SPAN)).toISOString();
  return (i) => {
    const n = i + 1;
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const email = `${first.toLowerCase()}.${last.toLowerCase()}${n}@example.com`;
    const [country, city, state, postal] = r.pick(CITIES);
    const ecid = `${r.int(1, 9)}${r.digits(37)}`;
    const crm = r() < 0.7;
    const phone = r() < 0.35 ? `+1555${r.digits(7)}` : '';
    let ids = `"ECID":[{"id":"${ecid}","primary":${!crm}}]`;
    if (crm) ids = `"CRMID":[{"id":"crm-${n}","primary":true}],"Email":[{"id":"${email}"}],` + ids;
    if (phone) ids += `,"Phone":[{"id":"${phone}"}]`;
    let json = `{"identityMap":{${ids}}`;
    json += `,"person":{"name":{"firstName":"${first}","lastName":"${last}"},"birthDate":"${r.int(1945, 2006)}-0${r.int(1, 9)}-${r.int(10, 28)}"}`;
    json += `,"personalEmail":{"address":"${email}"}`;
    json += `,"homeAddress":{"street1":"${r.int(1, 9999)} ${r.pick(STREETS)}","city":"${city}","postalCode":"${postal}${r.digits(2)}","stateProvince":"${state}","country":"${country}"}`;
    if (phone) json += `,"mobilePhone":{"number":"${phone}"}`;
    if (r() < 0.8) json += `,"loyalty":{"tier":"${r.pick(TIERS)}","points":${r.int(0, 250000)},"memberSince":"${time()}"}`;
    let interests = '';
    for (let k = r.int(0, 4); k > 0; k--) interests += `${interests ? ',' : ''}"${r.pick(INTERESTS)}"`;
    json += `,"preferences":{"interests":[${interests}],"marketing":{"email":{"val":"${r() < 0.6 ? 'y' : 'n'}"},"sms":{"val":"${r() < 0.3 ? 'y' : 'n'}"}}}`;
    let ups = '';
    const start = r.int(0, segments.length - 1);
    for (let k = r.int(3, 9), s = start; k > 0; k--, s = (s + r.int(1, 5)) % segments.length) {
      ups += `${ups ? ',' : ''}"${segments[s]}":{"status":"${r() < 0.8 ? 'realized' : 'exited'}","lastQualificationTime":"${time()}"}`;
    }
    json += `,"segmentMembership":{"ups":{${ups}}}`;
    json += `,"extSourceSystemAudit":{"lastUpdatedDate":"${time()}"}`;
    json += `,"identities":[{"namespace":"${crm ? 'CRMID' : 'ECID'}","id":"${crm ? `crm-${n}` : ecid}"}]}`;
    row.primaryNamespace = crm ? 'CRMID' : 'ECID';
    row.primaryId = crm ? `crm-${n}` : ecid;
    row.profileParts.head = Buffer.from(json, 'utf8');
    row.json = json;
    return row;
  };
}

// ---------------------------------------------------------------- one run (child process)

async function runOne(mode, rows) {
  const seed = Number(process.env.BENCH_SEED ?? 42);
  const sinkKind = process.env.BENCH_SINK ?? 'file';
  const rowGroupRows = Number(process.env.BENCH_ROW_GROUP_ROWS ?? 5000);
  const next = profileRows(seed);
  let gcMs = 0;
  let gcCount = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  }).observe({ entryTypes: ['gc'] });

  const path = join(tmpdir(), `parquet-writer-bench-${process.pid}.${mode}`);
  let sinkBytes = 0;
  const out =
    sinkKind === 'null'
      ? new Writable({
          highWaterMark: 1 << 20,
          write(chunk, _e, cb) {
            sinkBytes += chunk.length;
            cb();
          },
        })
      : createWriteStream(path, { highWaterMark: 1 << 20 });
  let writer;
  if (mode === 'parquet') {
    const { ParquetRowWriter } = await writerModule('parquet-writer.js');
    // As StagedBatchOutput opens them.
    writer = new ParquetRowWriter(out, { rowGroupRows, rowGroupBytes: Math.max(2 << 20, rowGroupRows * 2048) });
  } else if (mode === 'jsonl') {
    const { JsonlRowWriter } = await writerModule('jsonl-writer.js');
    writer = new JsonlRowWriter(out);
  } else {
    writer = { write() {}, close: async () => (out.end(), { rows }) };
  }

  // Peaks of the parts of memory, sampled every 10,000 rows (RSS itself: maxRSS below).
  const peak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampleMemory = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  const cpu0 = process.cpuUsage();
  let inputBytes = 0;
  let writerNs = 0n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) {
    const row = next(i);
    inputBytes += row.profileParts.head.length;
    const w0 = process.hrtime.bigint();
    const wait = writer.write(row);
    if (wait) await wait;
    writerNs += process.hrtime.bigint() - w0;
    if (i % 10_000 === 0) sampleMemory();
  }
  const c0 = process.hrtime.bigint();
  await writer.close();
  if (sinkKind !== 'null') await new Promise((resolve) => (out.closed ? resolve() : out.once('close', resolve)));
  writerNs += process.hrtime.bigint() - c0;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const bytes = sinkKind === 'null' ? sinkBytes : statSync(path).size;
  // GC entries are delivered asynchronously: let them arrive (a run that never waited has had none yet).
  await new Promise((resolve) => setTimeout(resolve, 10));

  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // before the read-back below
  let verified;
  if (process.env.BENCH_VERIFY === '1' && mode === 'parquet' && sinkKind !== 'null') {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const file = await asyncBufferFromFile(path);
    const meta = await parquetMetadataAsync(file);
    const last = await parquetReadObjects({ file, rowStart: rows - 1, rowEnd: rows });
    const expected = JSON.parse(replay(seed, rows - 1));
    verified = {
      rows: Number(meta.num_rows) === rows,
      rowGroups: meta.row_groups.length,
      codecs: [...new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data.codec)))],
      profileIsJson: meta.schema[3].converted_type === 'JSON',
      lastRow: JSON.stringify(last[0]?.profile) === JSON.stringify(expected),
      footerBytes: new DataView(await file.slice(file.byteLength - 8, file.byteLength - 4)).getUint32(0, true),
    };
  }
  if (existsSync(path)) rmSync(path);
  return {
    mode,
    rows,
    seconds,
    writerSeconds: Number(writerNs) / 1e9,
    rowsPerSecond: rows / seconds,
    inputMB: inputBytes / 1e6,
    outputMB: bytes / 1e6,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB,
    peakHeapMiB: peak.heapUsed / 2 ** 20,
    peakExternalMiB: peak.external / 2 ** 20,
    gcMs,
    gcCount,
    verified,
  };
}

/** The JSON of row `index` of a run (the generator is sequential). */
function replay(seed, index) {
  const next = profileRows(seed);
  let row;
  for (let i = 0; i <= index; i++) row = next(i);
  return row.json;
}

// ---------------------------------------------------------------- driver

const main = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
const [, , flag, childMode, childRows] = process.argv;
if (!main) {
  // imported (for profileRows): run nothing
} else if (flag === '--child') {
  const result = await runOne(childMode, Number(childRows));
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  if (!existsSync(join(WRITERS, 'parquet-writer.js'))) throw new Error('run `npm run build` first');
  const sizes = (process.env.BENCH_ROWS ?? '1300000').split(',').map(Number);
  const modes = (process.env.BENCH_MODES ?? 'generate,jsonl,parquet').split(',');
  const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  console.log(`sink: ${process.env.BENCH_SINK ?? 'file'}, row groups of ${process.env.BENCH_ROW_GROUP_ROWS ?? 5000} rows, node ${process.version}`);
  console.log('mode           rows   wall s  writer s   cpu s    rows/s   in MB/s   out MB  RSS MiB  heap MiB  ext MiB  GC ms (n)');
  for (const rows of sizes) {
    const results = {};
    for (const mode of modes) {
      const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode, String(rows)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
      });
      if (r.status !== 0) throw new Error(`${mode} ${rows} failed (${r.status})`);
      const x = JSON.parse(r.stdout.trim().split('\n').at(-1));
      results[mode] = x;
      console.log(
        `${mode.padEnd(9)} ${fmt(rows).padStart(10)} ${fmt(x.seconds, 2).padStart(8)} ${fmt(x.writerSeconds, 2).padStart(9)} ${fmt(x.cpuSeconds, 2).padStart(7)} ${fmt(x.rowsPerSecond).padStart(9)} ${fmt(x.inputMB / x.seconds, 1).padStart(9)} ${fmt(x.outputMB, 1).padStart(8)} ${fmt(x.maxRssMiB, 1).padStart(8)} ${fmt(x.peakHeapMiB, 1).padStart(9)} ${fmt(x.peakExternalMiB, 1).padStart(8)} ${fmt(x.gcMs).padStart(6)} (${x.gcCount})` +
          (x.verified ? `  verified ${JSON.stringify(x.verified)}` : ''),
      );
    }
    if (results.parquet && results.jsonl) {
      console.log(
        `  parquet/jsonl wall: ${fmt(results.parquet.seconds / results.jsonl.seconds, 2)}x; writer-only: ${fmt(results.parquet.writerSeconds / results.jsonl.writerSeconds, 2)}x`,
      );
    }
  }
}
