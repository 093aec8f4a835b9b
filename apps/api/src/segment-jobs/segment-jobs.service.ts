import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Caller, Conflict, NotFound, SegmentJob, SegmentJobDefinition, TooManyRequests } from '@sx/domain';
import { resolveSegmentJobDefinitions } from '@sx/export';
import { SegmentDefinitionRepository, SegmentJobListQuery, SegmentJobRepository } from '@sx/persistence';
import { SegmentDispatcher } from '@sx/queue';
import { type SegmentJobRequest, parseSegmentJobRequest } from './dto/segment-job-request';

@Injectable()
export class SegmentJobsService {
  private readonly logger = new Logger(SegmentJobsService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: SegmentJobRepository,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly dispatcher: SegmentDispatcher,
  ) {}

  /**
   * Checks the request (every segment exists here, every expression parses, no inSegment cycle),
   * snapshots the definitions, stores the job with its enqueue marker, then tries to enqueue it:
   * with Redis down the job is still accepted and the reconciler enqueues it.
   */
  async create(caller: Caller, body: unknown, requestId: string): Promise<SegmentJob> {
    const request = parseSegmentJobRequest(body);
    const definitions = await this.resolve(caller, request);
    if ((await this.jobs.activeCount(caller)) >= this.config.SEGMENT_JOBS_MAX_ACTIVE) {
      throw new TooManyRequests(`Too many segment jobs are processing in this sandbox (at most ${this.config.SEGMENT_JOBS_MAX_ACTIVE} unfinished); retry when one has ended.`);
    }
    const requested = request.segmentIds ? request.segmentIds.map((segmentId) => ({ segmentId })) : [{ segmentId: '*' }];
    const job = await this.jobs.create(caller, requested, definitions, request.schemaName, requestId);
    await this.dispatcher.dispatchSoon(job);
    this.logger.log({ msg: 'segment job created', segmentJobId: job.id, segments: definitions.length });
    return job;
  }

  /** The snapshot the job evaluates: `[i]` problems name the request's entries. */
  private resolve(caller: Caller, request: SegmentJobRequest): Promise<SegmentJobDefinition[]> {
    return resolveSegmentJobDefinitions(this.definitions, caller, request.segmentIds, { listed: (i) => `segments[${i}].segmentId`, all: 'segments[0].segmentId' });
  }

  async get(caller: Caller, id: string): Promise<SegmentJob> {
    const job = await this.jobs.findById(caller, id);
    if (!job) throw new NotFound(`Segment job ${id} does not exist.`);
    return job;
  }

  async bulkGet(caller: Caller, ids: string[]): Promise<SegmentJob[]> {
    return this.jobs.findMany(caller, ids);
  }

  list(caller: Caller, query: SegmentJobListQuery) {
    return this.jobs.list(caller, query);
  }

  /**
   * NEW or QUEUED: CANCELLED now and taken off the queue. PROCESSING: CANCELLING, the worker
   * stops between profiles and ends it CANCELLED with nothing applied. Finished: 409.
   */
  async cancel(caller: Caller, id: string): Promise<void> {
    const outcome = await this.jobs.cancel(caller, id);
    if (!outcome) throw new NotFound(`Segment job ${id} does not exist.`);
    if (typeof outcome === 'object') throw new Conflict(`Segment job ${id} has already ended (${outcome.finished}); there is nothing to cancel.`);
    if (outcome === 'cancelled') await this.dispatcher.withdraw(id.toLowerCase());
    this.logger.log({ msg: 'segment job cancel', segmentJobId: id, outcome });
  }
}
