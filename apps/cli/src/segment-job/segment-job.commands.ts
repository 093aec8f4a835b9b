import { CommandSpec, UsageError } from '../args';
import type { ApiCaller } from '../api/api-caller';
import { PROGRESS, WAIT_OPTIONS, waitForEnd } from '../api/wait-for-end';
import { CONNECTION_OPTIONS, Connection, connect } from '../api/connection';
import { CommandResult, EXIT, numberOption } from '../export/export.commands';
import { bar, count, progressMode } from '../progress';

/** A segment job as GET /segment/jobs/{id} shows it (what the CLI reads of it). */
interface SegmentJob {
  id: string;
  status: string;
  metrics?: { totalProfiles?: number; segmentedProfileCounter?: Record<string, number> };
  errors?: Array<{ code?: string; msg?: string }>;
}

const EXIT_HELP = 'exit codes: 0 done, 1 error (API error, unreachable API), 2 usage, 3 the job FAILED, 4 the job was CANCELLED, 5 wait timed out';

export const SEGMENT_JOB_SPECS: Record<string, CommandSpec> = {
  run: {
    name: 'segment-job run',
    short: 'evaluate segments (ids, or --all) in a segment job; --wait to wait for it',
    args: '[segmentId…]',
    maxPositionals: 100,
    summary: "POST /segment/jobs: evaluates the named segment definitions (or every one of the sandbox with --all), as AEP's segment jobs do; prints the job.",
    options: {
      ...CONNECTION_OPTIONS,
      all: { type: 'boolean', help: 'every segment definition of the sandbox (segments: [{segmentId: "*"}])' },
      wait: { type: 'boolean', help: 'then wait for the job to end, as segment-job wait does (prints the ended job)' },
      ...WAIT_OPTIONS,
      progress: PROGRESS,
    },
    details: EXIT_HELP,
  },
  get: {
    name: 'segment-job get',
    short: 'print one segment job',
    args: '<jobId>',
    maxPositionals: 1,
    summary: 'GET /segment/jobs/{id}: prints the job.',
    options: { ...CONNECTION_OPTIONS },
  },
  wait: {
    name: 'segment-job wait',
    short: 'wait until a segment job ends; exit 0 only for SUCCEEDED',
    args: '<jobId>',
    maxPositionals: 1,
    summary: 'Polls GET /segment/jobs/{id} until it is SUCCEEDED, FAILED or CANCELLED; prints the ended job. Exit 0 only for SUCCEEDED.',
    options: { ...CONNECTION_OPTIONS, ...WAIT_OPTIONS, progress: PROGRESS },
    details: EXIT_HELP,
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const jobPath = (c: Connection, id?: string) => `${c.basePath}/segment/jobs${id === undefined ? '' : `/${id}`}`;

function jobIdOf(spec: CommandSpec, positional: string[]): string {
  const id = positional[0];
  if (!id) throw new UsageError(`${spec.name} needs ${spec.args}`);
  if (!UUID.test(id)) throw new UsageError(`${spec.name}: "${id}" is not a segment job id (a uuid)`);
  return id;
}

function ended(job: SegmentJob): CommandResult {
  if (job.status === 'SUCCEEDED') return { output: job, code: EXIT.ok };
  if (job.status === 'CANCELLED') return { output: job, code: EXIT.cancelled, message: `segment job ${job.id} ended CANCELLED` };
  const errors = (job.errors ?? []).map((e) => `${e.code ?? ''} ${e.msg ?? ''}`.trim()).join('; ');
  return { output: job, code: EXIT.failed, message: `segment job ${job.id} ended FAILED${errors ? `: ${errors}` : ''}` };
}

function line(job: SegmentJob, started: number, tick: number): string {
  const profiles = job.metrics?.totalProfiles;
  const what = [profiles !== undefined ? `${count(profiles)} profiles` : '', `${Math.round((Date.now() - started) / 1000)} s`].filter(Boolean);
  return `segment job ${job.id.slice(0, 8)} ${job.status.padEnd(10)} ${bar(job.status === 'SUCCEEDED' ? 1 : undefined, 24, tick)} ${what.join(', ')}`;
}

function waitFor(api: ApiCaller, c: Connection, id: string, options: Record<string, string>): Promise<CommandResult> {
  return waitForEnd<SegmentJob>(api, { label: `segment job ${id}`, path: jobPath(c, id), line, ended }, options);
}

export async function segmentJobCommand(sub: string, positional: string[], options: Record<string, string>, c: Connection): Promise<CommandResult> {
  const spec = SEGMENT_JOB_SPECS[sub];
  if (sub !== 'run') jobIdOf(spec, positional);
  if (sub === 'run' && !options.all && !positional.length) throw new UsageError('segment-job run needs segment ids, or --all');
  if (sub === 'run' && options.all && positional.length) throw new UsageError('segment-job run takes segment ids or --all, not both');
  if (sub === 'run' && options.wait === undefined && (options.timeout || options.interval)) throw new UsageError('--timeout and --interval go with --wait');
  if (options.progress !== undefined) progressMode(options.progress);
  numberOption(options, 'timeout', undefined, 0);
  numberOption(options, 'interval', undefined, 10);
  const api = await connect(c);
  switch (sub) {
    case 'run': {
      const body = options.all ? { segments: [{ segmentId: '*' }] } : positional.map((segmentId) => ({ segmentId }));
      const job = await api.json<SegmentJob>('POST', jobPath(c), body);
      return options.wait ? waitFor(api, c, job.id, options) : { output: job };
    }
    case 'get':
      return { output: await api.json<SegmentJob>('GET', jobPath(c, positional[0])) };
    default:
      return waitFor(api, c, positional[0], options);
  }
}
