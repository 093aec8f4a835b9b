import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import {
  CHAIN_NEEDS_NO_GRAPH,
  Caller,
  DEFAULT_SEGMENT_NAMESPACE,
  ExportJob,
  ExportJobRequest,
  FieldProblem,
  JobCursor,
  NotFound,
  ValidationFailed,
  resolveSchema,
} from '@sx/domain';
import { DatasetRepository, ExportJobRepository, MergePolicyRepository, SegmentDefinitionRepository } from '@sx/persistence';
import { ExportDispatcher } from '@sx/queue';
import type { CreateExportJobDto } from './dto/create-export-job.dto';
import { csvProblems } from './csv-check';
import { evaluationProblems } from './evaluation-check';
import { dryRunIdempotencyKey, waitForDryRun } from './dry-run-wait';

export interface ExportJobPage {
  jobs: ExportJob[];
  /** Cursor of the next page; undefined on the last page. */
  next?: JobCursor;
}

@Injectable()
export class ExportJobsService {
  private readonly logger = new Logger(ExportJobsService.name);

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly dispatcher: ExportDispatcher,
    private readonly datasets: DatasetRepository,
    private readonly policies: MergePolicyRepository,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores the job with its enqueue marker in one transaction, then tries to enqueue it. If Redis
   * is down the job is still accepted: the marker stays and a worker's reconciler enqueues it.
   */
  async create(caller: Caller, dto: CreateExportJobDto, requestId: string, idempotencyKey?: string, dryRun = false): Promise<ExportJob> {
    const request = await this.prepare(caller, dto);
    // A dry run's keys live apart from real jobs' keys: the same key never replays one as the other.
    const key = idempotencyKey && dryRun ? dryRunIdempotencyKey(idempotencyKey) : idempotencyKey;
    const idempotency = key ? { key, requestHash: hashRequest(request) } : undefined;
    const { job, replayed } = await this.jobs.create(caller, request, requestId, idempotency, dryRun);
    if (!replayed) await this.dispatcher.dispatchSoon(job);
    if (!job.dryRun) return job;
    return waitForDryRun(job, this.config.DRY_RUN_WAIT_MS, async () => (await this.jobs.findById(caller, job.id)) ?? job);
  }

  /**
   * The request a job stores, checked as POST checks it: its defaults made explicit and what it
   * names found in the caller's sandbox. Also what an export schedule stores for its runs.
   */
  async prepare(caller: Caller, dto: CreateExportJobDto): Promise<ExportJobRequest> {
    const request = normalize(dto);
    await this.checkReferences(caller, request);
    return request;
  }

  /** What the job names must exist in the caller's sandbox and fit: answered now, not at run time. */
  private async checkReferences(caller: Caller, request: ExportJobRequest): Promise<void> {
    const problems: FieldProblem[] = [];
    if (request.evaluationInfo?.segmentation) {
      const ids = [...new Set((request.filter?.segments ?? []).map((s) => s.segmentId))];
      problems.push(...evaluationProblems(request, ids.length ? await this.definitions.findMany(caller, ids) : []));
    }
    const dataset = await this.datasets.findById(caller, request.destination.datasetId);
    if (!dataset) {
      problems.push({ path: 'destination.datasetId', message: 'no such dataset in this sandbox' });
    } else {
      const schema = resolveSchema(dataset.schemaId);
      if (schema?.kind !== 'profile') problems.push({ path: 'destination.datasetId', message: 'is not a profile dataset (exports write profiles)' });
      else if (request.schema.name !== schema.name) problems.push({ path: 'schema.name', message: `must be "${schema.name}", the schema of the destination dataset` });
    }
    const policy = request.mergePolicy && (await this.policies.resolve(caller, request.mergePolicy.id));
    if (request.mergePolicy && !policy) problems.push({ path: 'mergePolicy.id', message: 'no such merge policy in this sandbox' });
    if (policy && request.filter?.chainId !== undefined && policy.identityGraph.type !== 'none') {
      problems.push({ path: 'filter.chainId', message: CHAIN_NEEDS_NO_GRAPH });
    }
    if (problems.length) throw new ValidationFailed(problems);
  }

  async get(caller: Caller, id: number): Promise<ExportJob> {
    const job = await this.jobs.findById(caller, id);
    if (!job) throw new NotFound(`Export job ${id} does not exist.`);
    return job;
  }

  async list(caller: Caller, query: { limit: number; after?: JobCursor; status?: ExportJob['status'] }): Promise<ExportJobPage> {
    const { limit } = query;
    // One row more than asked tells whether there is a next page without a count query.
    const rows = await this.jobs.list(caller, { limit: limit + 1, after: query.after, status: query.status });
    const jobs = rows.slice(0, limit);
    const last = jobs[jobs.length - 1];
    return { jobs, next: rows.length > limit && last ? { creationTimeMs: last.creationTime.getTime(), id: last.id } : undefined };
  }

  /** NEW: cancelled now and taken off the queue. PROCESSING: cancel requested, workers told. Finished: deleted. */
  async cancelOrDelete(caller: Caller, id: number): Promise<void> {
    const outcome = await this.jobs.cancelOrDelete(caller, id);
    if (!outcome) throw new NotFound(`Export job ${id} does not exist.`);
    if (outcome === 'cancelled') await this.dispatcher.withdraw(id);
    if (outcome === 'cancel-requested') await this.dispatcher.signalCancel(id);
    this.logger.log({ msg: 'export job cancel/delete', exportJobId: id, outcome });
  }
}

/** Defaults made explicit, so that the stored job says how it will run. */
function normalize(dto: CreateExportJobDto): ExportJobRequest {
  const problems: FieldProblem[] = [];
  const window = dto.filter?.segmentQualificationTime;
  if (window?.startTime && window.endTime && Date.parse(window.startTime) > Date.parse(window.endTime)) {
    problems.push({ path: 'filter.segmentQualificationTime.endTime', message: 'must not be before startTime' });
  }
  const events = dto.additionalFields?.eventList?.filter;
  if (events?.fromIngestTimestamp && events.toIngestTimestamp && Date.parse(events.fromIngestTimestamp) >= Date.parse(events.toIngestTimestamp)) {
    problems.push({ path: 'additionalFields.eventList.filter.toIngestTimestamp', message: 'must be after fromIngestTimestamp' });
  }
  if (dto.filter?.chainId !== undefined && dto.filter.fromIngestTimestamp !== undefined) {
    // A link's lower bound is the previous link's snapshot: a second lower bound would contradict it.
    problems.push({ path: 'filter.fromIngestTimestamp', message: 'must not be given with filter.chainId (a chain link starts where the previous one ended)' });
  }
  if (dto.evaluationInfo?.segmentation && dto.destination.partitions !== undefined && dto.destination.partitions > 1) {
    // An evaluating run applies its memberships in one pass over every profile: not split (yet).
    problems.push({ path: 'destination.partitions', message: 'must be 1 (or unset) with evaluationInfo.segmentation: evaluating exports run in one partition' });
  }
  problems.push(...csvProblems(dto));
  if (problems.length) throw new ValidationFailed(problems);

  const request = JSON.parse(JSON.stringify(dto)) as ExportJobRequest & { dryRun?: boolean };
  // Not part of what the job exports: stored apart (export_jobs.dry_run), and left out of the idempotency hash.
  delete request.dryRun;
  request.destination.segmentPerBatch = dto.destination.segmentPerBatch ?? false;
  if (request.filter?.segments) {
    request.filter.segments = request.filter.segments.map((s) => ({
      segmentId: s.segmentId,
      segmentNs: s.segmentNs ?? DEFAULT_SEGMENT_NAMESPACE,
      status: s.status ?? ['realized'],
    }));
  }
  return request;
}

/** Same request, same hash, whatever the key order of the JSON. */
function hashRequest(request: ExportJobRequest): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('hex');
}
