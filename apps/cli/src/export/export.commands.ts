import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CommandSpec, UsageError, required } from '../args';
import { ApiCaller, DownloadMismatch } from '../api/api-caller';
import { PROGRESS, WAIT_OPTIONS, waitForEnd } from '../api/wait-for-end';
import { CONNECTION_OPTIONS, Connection, connect } from '../api/connection';
import { Progress, bar, count, humanBytes, progressMode } from '../progress';

/** What a command hands back to main: the JSON for stdout, the exit code, a line for stderr. */
export interface CommandResult {
  output?: unknown;
  code?: number;
  message?: string;
}

/** Exit codes of the export commands (documented in the README and in `export --help`). */
export const EXIT = { ok: 0, error: 1, usage: 2, failed: 3, cancelled: 4, timeout: 5, mismatch: 6 } as const;

const END_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface Job {
  id: number;
  status: string;
  destination?: { batchId?: string; segmentPerBatch?: boolean; batches?: Array<{ batchId: string; segmentId?: string }> };
  metrics?: { totalExportedProfileCounter?: number; partitions?: { done: number; total: number } };
  errors?: Array<{ code?: string; msg?: string }>;
}

const EXIT_HELP = `exit codes: 0 done, 1 error (API error, unreachable API), 2 usage, 3 the job FAILED,
4 the job was CANCELLED, 5 wait timed out, 6 a downloaded file did not match its checksum or length`;

export const EXPORT_SPECS: Record<string, CommandSpec> = {
  create: {
    name: 'export create',
    short: 'create an export job from a JSON body (--wait to wait for it)',
    args: '<FILE|JSON|->',
    maxPositionals: 1,
    summary: 'POST /export/jobs: create an export job from a JSON body (a file, inline JSON starting with {, or - for stdin); prints the job.',
    options: {
      ...CONNECTION_OPTIONS,
      'idempotency-key': { type: 'string', value: 'KEY', help: 'sent as Idempotency-Key: the same key within 24 h returns the first job' },
      wait: { type: 'boolean', help: 'then wait for the job to end, as export wait does (prints the ended job)' },
      ...WAIT_OPTIONS,
      progress: PROGRESS,
    },
    details: EXIT_HELP,
  },
  get: {
    name: 'export get',
    short: 'print one export job',
    args: '<jobId>',
    maxPositionals: 1,
    summary: 'GET /export/jobs/{id}: prints the job.',
    options: { ...CONNECTION_OPTIONS },
  },
  list: {
    name: 'export list',
    short: 'list export jobs, newest first (--all: every page)',
    maxPositionals: 0,
    summary: 'GET /export/jobs: prints a page of jobs, newest first, as the API answers it ({records, page, link}).',
    options: {
      ...CONNECTION_OPTIONS,
      limit: { type: 'string', value: 'N', help: 'jobs per page' },
      status: { type: 'string', value: 'STATUS', help: 'only jobs in this status (NEW, PROCESSING, SUCCEEDED, FAILED, CANCELLED)' },
      offset: { type: 'string', value: 'CURSOR', help: "start after this cursor (a page's link.next offset)" },
      all: { type: 'boolean', help: 'follow link.next to the last page; prints {records: [every job]}' },
    },
  },
  wait: {
    name: 'export wait',
    short: 'wait until a job ends; exit 0 only for SUCCEEDED',
    args: '<jobId>',
    maxPositionals: 1,
    summary: 'Polls GET /export/jobs/{id} until the job is SUCCEEDED, FAILED or CANCELLED; prints the ended job. Exit 0 only for SUCCEEDED.',
    options: { ...CONNECTION_OPTIONS, ...WAIT_OPTIONS, progress: PROGRESS },
    details: EXIT_HELP,
  },
  download: {
    name: 'export download',
    short: "download a job's (or batch's) files, checksums verified",
    args: '<jobId|batchId>',
    maxPositionals: 1,
    summary:
      "Writes the files of a SUCCEEDED job's batch (or of a batch id) into DIR, streamed, each checked against the sha256 the API announces (the ETag) and its length; " +
      'a mismatch removes that file and exits 6 naming it. A job with one batch per segment writes each batch into DIR/<batchId>/. ' +
      "The batch's _manifest.json is downloaded with its data files: `verify <batchId> --dir DIR` checks them against it later.",
    options: { ...CONNECTION_OPTIONS, out: { type: 'string', value: 'DIR', help: 'the directory to write into (created if missing)' }, progress: PROGRESS },
    details: EXIT_HELP,
  },
  cancel: {
    name: 'export cancel',
    short: 'cancel a NEW or PROCESSING job',
    args: '<jobId>',
    maxPositionals: 1,
    summary: 'DELETE /export/jobs/{id} for a NEW or PROCESSING job: asks for its cancellation; prints the job. A job that already ended is left alone (exit 1) unless --delete.',
    options: {
      ...CONNECTION_OPTIONS,
      wait: { type: 'boolean', help: 'then wait until the job ends (exit 0 when it ended CANCELLED)' },
      delete: { type: 'boolean', help: 'also DELETE a job that already ended (the API then deletes it)' },
      ...WAIT_OPTIONS,
      progress: PROGRESS,
    },
    details: EXIT_HELP,
  },
};

function jobIdOf(spec: CommandSpec, positional: string[]): string {
  const id = positional[0];
  if (!id) throw new UsageError(`${spec.name} needs ${spec.args}`);
  if (!/^[0-9]{1,10}$/.test(id)) throw new UsageError(`${spec.name}: "${id}" is not a job id (a number)`);
  return id;
}

export function numberOption(options: Record<string, string>, name: string, fallback: number | undefined, min: number): number | undefined {
  const v = options[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || n < min) throw new UsageError(`--${name} must be a number of at least ${min}, not "${v}"`);
  return n;
}

const jobPath = (c: Connection, id?: string | number) => `${c.basePath}/export/jobs${id === undefined ? '' : `/${id}`}`;

/** `job 12 PROCESSING [####------] 12,345 profiles, partitions 2/4, 3 s` */
function jobLine(job: Job, started: number, tick: number): string {
  const m = job.metrics ?? {};
  const parts = m.partitions;
  const profiles = m.totalExportedProfileCounter;
  const fraction = job.status === 'SUCCEEDED' ? 1 : parts && parts.total > 0 ? parts.done / parts.total : undefined;
  const what = [
    profiles !== undefined ? `${count(profiles)} profiles` : job.status === 'NEW' ? 'queued' : '',
    parts ? `partitions ${parts.done}/${parts.total}` : '',
    `${Math.round((Date.now() - started) / 1000)} s`,
  ].filter(Boolean);
  return `job ${job.id} ${job.status.padEnd(10)} ${bar(fraction, 24, tick)} ${what.join(', ')}`;
}

/** A job's end as an exit code and a line for stderr. */
export function ended(job: Job): CommandResult {
  if (job.status === 'SUCCEEDED') return { output: job, code: EXIT.ok };
  if (job.status === 'CANCELLED') return { output: job, code: EXIT.cancelled, message: `job ${job.id} ended CANCELLED` };
  const errors = (job.errors ?? []).map((e) => `${e.code ?? ''} ${e.msg ?? ''}`.trim()).join('; ');
  return { output: job, code: EXIT.failed, message: `job ${job.id} ended FAILED${errors ? `: ${errors}` : ''}` };
}

function waitFor(api: ApiCaller, c: Connection, id: string, options: Record<string, string>): Promise<CommandResult> {
  return waitForEnd<Job>(api, { label: `job ${id}`, path: jobPath(c, id), line: jobLine, ended }, options);
}

async function readBody(source: string | undefined): Promise<unknown> {
  if (!source) throw new UsageError('export create needs the job body: a JSON file, inline JSON ({…}) or - for stdin');
  let text: string;
  let what: string;
  if (source.trimStart().startsWith('{')) {
    text = source;
    what = 'the inline body';
  } else if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
    what = 'the body on stdin';
  } else {
    try {
      text = await readFile(source, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the job body ${source}: ${(e as Error).message}`);
    }
    what = source;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${(e as Error).message}`);
  }
}

interface BatchFileEntry {
  dataSetFileId: string;
  size?: string;
}

/** Every file of a batch, its _manifest.json included: its Data Access listing, page after page, then each file id's parts. */
export async function filesOf(api: ApiCaller, batchId: string): Promise<Array<{ fileId: string; name: string; length?: number }>> {
  const entries: BatchFileEntry[] = [];
  for (let start = 0; ;) {
    const page = await api.json<{ data: BatchFileEntry[]; _links?: { next?: unknown } }>(
      'GET',
      `/data/foundation/export/batches/${batchId}/files?start=${start}&limit=100&withManifest=true`,
    );
    entries.push(...page.data);
    if (!page._links?.next || page.data.length === 0) break;
    start += page.data.length;
  }
  const files: Array<{ fileId: string; name: string; length?: number }> = [];
  for (const e of entries) {
    const listing = await api.json<{ data: Array<{ name: string; length?: string }> }>('GET', `/data/foundation/export/files/${e.dataSetFileId}`);
    for (const f of listing.data) files.push({ fileId: e.dataSetFileId, name: f.name, length: f.length === undefined ? undefined : Number(f.length) });
  }
  return files;
}

/** DIR/name, refusing names that would land outside DIR. */
function inside(dir: string, name: string): string {
  const path = resolve(dir, name);
  const rel = relative(dir, path);
  if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..'))
    throw new Error(`the API listed a file named "${name}", which would be written outside ${dir}`);
  return path;
}

async function download(api: ApiCaller, c: Connection, target: string | undefined, options: Record<string, string>): Promise<CommandResult> {
  const spec = EXPORT_SPECS.download;
  if (!target) throw new UsageError(`export download needs ${spec.args}`);
  const out = resolve(required(spec, options, 'out'));
  let batches: string[];
  let jobId: number | undefined;
  if (/^[0-9a-f]{32}$/i.test(target)) batches = [target.toLowerCase()];
  else if (/^[0-9]{1,10}$/.test(target)) {
    const job = await api.json<Job>('GET', jobPath(c, target));
    jobId = job.id;
    if (job.status !== 'SUCCEEDED') return { output: job, code: EXIT.error, message: `job ${job.id} is ${job.status}: only a SUCCEEDED job has files to download` };
    const listed = job.destination?.batches?.map((b) => b.batchId) ?? [];
    batches = listed.length ? [...new Set(listed)] : job.destination?.batchId ? [job.destination.batchId] : [];
    if (!batches.length) return { output: job, code: EXIT.error, message: `job ${job.id} names no batch (destination.batchId)` };
  } else throw new UsageError(`export download: "${target}" is neither a job id (a number) nor a batch id (32 hex characters)`);

  const progress = new Progress(progressMode(options.progress));
  const plan: Array<{ batchId: string; dir: string; files: Awaited<ReturnType<typeof filesOf>> }> = [];
  for (const batchId of batches) plan.push({ batchId, dir: batches.length > 1 ? join(out, batchId) : out, files: await filesOf(api, batchId) });
  const totalFiles = plan.reduce((n, b) => n + b.files.length, 0);
  const totalBytes = plan.reduce((n, b) => n + b.files.reduce((m, f) => m + (f.length ?? 0), 0), 0);
  let doneBytes = 0;
  let doneFiles = 0;
  const result: Array<{ batchId: string; dir: string; files: Array<Record<string, unknown>> }> = [];
  for (const b of plan) {
    await mkdir(b.dir, { recursive: true });
    const written: Array<Record<string, unknown>> = [];
    for (const f of b.files) {
      const dest = inside(b.dir, f.name);
      await mkdir(dirname(dest), { recursive: true });
      const label = `${f.name} (batch ${b.batchId}, file ${f.fileId})`;
      const line = () =>
        `${bar(totalBytes ? doneBytes / totalBytes : undefined, 24)} ${doneFiles}/${totalFiles} files, ${humanBytes(doneBytes)}${totalBytes ? ` of ${humanBytes(totalBytes)}` : ''}  ${f.name}`;
      progress.update(line(), true);
      try {
        const got = await api.download(`/data/foundation/export/files/${f.fileId}?path=${encodeURIComponent(f.name)}`, dest, label, (n) => {
          doneBytes += n;
          progress.update(line());
        });
        if (f.length !== undefined && f.length !== got.bytes) throw new DownloadMismatch(`${label}: received ${got.bytes} bytes, the listing says ${f.length}`);
        written.push({ name: f.name, path: dest, bytes: got.bytes, sha256: got.sha256, verified: got.expectedSha256 !== undefined });
        if (got.expectedSha256 === undefined) process.stderr.write(`${f.name}: the API announced no checksum; only its length was checked\n`);
      } catch (e) {
        progress.done();
        if (e instanceof DownloadMismatch) {
          return { output: { ...(jobId !== undefined ? { jobId } : {}), out, failed: f.name, written }, code: EXIT.mismatch, message: e.message };
        }
        throw e;
      }
      doneFiles++;
    }
    result.push({ batchId: b.batchId, dir: b.dir, files: written });
  }
  progress.done(`${bar(1, 24)} ${doneFiles}/${totalFiles} files, ${humanBytes(doneBytes)}`);
  return { output: { ...(jobId !== undefined ? { jobId } : {}), out, files: doneFiles, bytes: doneBytes, batches: result } };
}

async function cancel(api: ApiCaller, c: Connection, id: string, options: Record<string, string>): Promise<CommandResult> {
  const job = await api.json<Job>('GET', jobPath(c, id));
  if (END_STATES.includes(job.status)) {
    if (!options.delete) {
      return { output: job, code: EXIT.error, message: `job ${id} already ended ${job.status}: nothing to cancel (--delete deletes it)` };
    }
    await api.json('DELETE', jobPath(c, id));
    return { output: { id: job.id, deleted: true, status: job.status } };
  }
  await api.json('DELETE', jobPath(c, id));
  if (options.wait) {
    const r = await waitFor(api, c, id, options);
    if (r.code === EXIT.cancelled) return { output: r.output, code: EXIT.ok };
    if (r.code === EXIT.ok) return { ...r, code: EXIT.error, message: `job ${id} SUCCEEDED before the cancellation took effect` };
    return r;
  }
  return { output: await api.json<Job>('GET', jobPath(c, id)) };
}

/** Runs `export <sub>` with its parsed arguments. */
export async function exportCommand(sub: string, positional: string[], options: Record<string, string>, c: Connection): Promise<CommandResult> {
  const spec = EXPORT_SPECS[sub];
  // Check the arguments before any call.
  if (['get', 'wait', 'cancel'].includes(sub)) jobIdOf(spec, positional);
  if (sub === 'download') required(spec, options, 'out');
  if (sub === 'create' && options.wait === undefined && (options.timeout || options.interval)) throw new UsageError('--timeout and --interval go with --wait');
  if (options.progress !== undefined) progressMode(options.progress);
  numberOption(options, 'timeout', undefined, 0);
  numberOption(options, 'interval', undefined, 10);
  const body = sub === 'create' ? await readBody(positional[0]) : undefined;

  const api = await connect(c);
  switch (sub) {
    case 'create': {
      const key = options['idempotency-key'];
      const job = await api.json<Job>('POST', jobPath(c), body, key === undefined ? {} : { 'Idempotency-Key': key });
      return options.wait ? waitFor(api, c, String(job.id), options) : { output: job };
    }
    case 'get':
      return { output: await api.json<Job>('GET', jobPath(c, positional[0])) };
    case 'list': {
      const params = new URLSearchParams();
      if (options.limit) params.set('limit', options.limit);
      if (options.status) params.set('status', options.status);
      if (options.offset) params.set('offset', options.offset);
      type Page = { records: Job[]; link?: { next?: string } };
      const first = await api.json<Page>('GET', `${jobPath(c)}${params.size ? `?${params.toString()}` : ''}`);
      if (!options.all) return { output: first };
      const records = [...first.records];
      for (let page = first; page.link?.next;) {
        // link.next is relative to the Segmentation base path: `/export/jobs/?limit=…&offset=…`.
        const next = new URL(page.link.next, 'http://x');
        page = await api.json<Page>('GET', `${jobPath(c)}${next.search}`);
        records.push(...page.records);
      }
      return { output: { records } };
    }
    case 'wait':
      return waitFor(api, c, positional[0], options);
    case 'download':
      return download(api, c, positional[0], options);
    case 'cancel':
      return cancel(api, c, positional[0], options);
    default:
      throw new UsageError(`Unknown export command "${sub}"`);
  }
}
