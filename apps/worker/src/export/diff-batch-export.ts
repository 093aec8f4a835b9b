import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Conflict, DIFF_ROW_MEMBER, type DiffOf, type ExportJob, type ExportMetrics, NotFound, type TenantScope } from '@sx/domain';
import { appendMembersToBytes } from '@sx/export';
import { type DiffPlan, ExportDiffReader, planDiff } from '@sx/export-diff';
import { BatchRepository, type BucketCounts, type ChangedRow, type DiffRowSink, ExportDiffRepository, ExportJobRepository, ExportRunRepository } from '@sx/persistence';
import { CancelRequested, CancelSubscriber } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { discardAbandonedBatches } from './abandoned-batches';
import { type ExportAttemptClaim, endUnsucceededAttempt } from './attempt-end';
import { watchExportAttempt } from './attempt-watch';
import { buildManifest } from './batch-manifest';
import { AttemptSuperseded, ERROR_CODES, ExportFailure } from './export-failure';
import { PARQUET_ROW_GROUP_ROWS } from './export-outputs';
import { StagedBatchOutput } from './staged-batch-output';
import type { ExportRow, OutputFormat } from './writers/row-writer';

/**
 * Writes the batch of a diff (GET /export/jobs/{id}/diff/{otherId}?batch=true, issue 15): an
 * export job with `diffOf`, whose rows are those of the two exports that entered, exited or
 * changed, per bucket: the after export's row (the before export's for `exited`), byte for byte,
 * with one member appended, `"_diff": {"change", "bucket"}`. One batch in the after export's
 * dataset and format, with its manifest (which adds the counts); the same two exports always give
 * the same files (ExportDiffRepository's order). Both exports are read back from storage into
 * Postgres, which sorts and joins (memory here: one chunk). Lease, cancel, retries and commit are
 * those of every export (ExportJobProcessor); an export that can no longer be diffed (deleted, its
 * batch reverted) fails the job at once, naming why.
 */
@Injectable()
export class DiffBatchExport {
  private readonly logger = new Logger(DiffBatchExport.name);
  private readonly reader: ExportDiffReader;

  constructor(
    private readonly config: AppConfig,
    private readonly runs: ExportRunRepository,
    private readonly jobs: ExportJobRepository,
    private readonly diffs: ExportDiffRepository,
    private readonly storage: DatasetStorage,
    private readonly cancels: CancelSubscriber,
    private readonly metrics: Metrics,
    batches: BatchRepository,
  ) {
    this.reader = new ExportDiffReader(batches, storage);
  }

  async attempt(scope: TenantScope, claim: ExportAttemptClaim): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    const id = job.id;
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const watch = watchExportAttempt({ runs: this.runs, cancels: this.cancels, config: this.config }, scope, id, token, { exportJobId: id, diffBatch: 'true' });
    let output: StagedBatchOutput | undefined;
    const batchIds: string[] = [];
    try {
      await discardAbandonedBatches(this.runs, this.storage, scope, id, token);
      if (await this.runs.cancelRequested(scope, id)) throw new CancelRequested();
      const plan = await this.plan(scope, job.diffOf!);
      const datasetId = job.destination.datasetId;
      const format: OutputFormat = job.destination.outputFormat === 'jsonl' ? 'jsonl' : 'parquet';
      const started = await this.runs.startBatches(scope, id, token, datasetId, format, 1);
      if (started === 'superseded') throw new AttemptSuperseded();
      const batchId = started[0].id;
      batchIds.push(batchId);
      const destination = { ...job.destination, batchId };
      const exportStart = Date.now();
      await this.runs.progress(scope, id, token, { totalTime: { startTimeInMs: startedAt } }, destination);

      const out = new StagedBatchOutput(this.storage, batchPrefix({ ...scope, datasetId, batchId }), format, this.config.EXPORT_FILE_ROWS, PARQUET_ROW_GROUP_ROWS);
      output = out;
      const counts = await this.diffs.writeChanged(
        (sink) => this.read(scope, plan, sink, watch.signal),
        (row) => {
          if (watch.signal.aborted) throw watch.signal.reason;
          return out.write(diffRowOf(row));
        },
      );
      if (watch.signal.aborted) throw watch.signal.reason;
      await out.finish();
      // A source batch reverted while the rows were read: its rows no longer speak for the export.
      await this.reader.check(scope, plan).catch((e: unknown) => {
        throw inputFailure(e);
      });

      const end = Date.now();
      const metrics: ExportMetrics = {
        totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt },
        profileExportTime: { startTimeInMs: exportStart, endTimeInMs: end, totalTimeInMs: end - exportStart },
        totalExportedProfileCounter: out.records,
        exportedProfileByNamespaceCounter: out.byNamespace,
      };
      const manifest = {
        ...buildManifest(job, { datasetId, format, segmentPerBatch: false }, 0, { batchId, records: out.records, byNamespace: out.byNamespace, files: out.stagedFiles }, undefined),
        diff: { ...job.diffOf!, segments: orderedCounts(plan, counts) },
      };
      const outcome = await this.runs.succeed(scope, id, token, [{ batchId, records: out.records, files: await out.commit(manifest) }], metrics, destination);
      if (outcome === 'cancel-requested') throw new CancelRequested();
      if (outcome === 'superseded') throw new AttemptSuperseded();
      this.metrics.jobEnded('export', 'SUCCEEDED', end - startedAt);
      this.logger.log({ msg: 'diff batch succeeded', exportJobId: id, attempt, rows: out.records, ms: end - startedAt });
      return { diffBatch: true, rows: out.records };
    } catch (e) {
      await output?.abort().catch(() => undefined);
      const deps = { runs: this.runs, config: this.config, metrics: this.metrics, logger: this.logger };
      return await endUnsucceededAttempt(deps, 'diff batch', scope, claim, startedAt, { reason: watch.signal.aborted ? watch.signal.reason : e, error: e }, batchIds);
    } finally {
      watch.stop();
    }
  }

  /** The diff's plan, checked as the API checks it; what no retry can fix fails the job at once. */
  private async plan(scope: TenantScope, diffOf: DiffOf): Promise<DiffPlan> {
    try {
      const plan = planDiff(await this.job(scope, diffOf.beforeJobId), await this.job(scope, diffOf.afterJobId));
      await this.reader.check(scope, plan);
      return plan;
    } catch (e) {
      throw inputFailure(e);
    }
  }

  private async job(scope: TenantScope, id: number): Promise<ExportJob> {
    const job = await this.jobs.findById(scope, id);
    if (!job) throw new NotFound(`Export job ${id} does not exist any more.`);
    return job;
  }

  /** Both exports' rows into the sink, stopping at the next row once the attempt is cancelled or superseded. */
  private async read(scope: TenantScope, plan: DiffPlan, sink: DiffRowSink, signal: AbortSignal): Promise<void> {
    const watched: DiffRowSink = {
      keepsRows: sink.keepsRows,
      write(row) {
        if (signal.aborted) throw signal.reason;
        return sink.write(row);
      },
    };
    try {
      await this.reader.read(scope, plan, watched);
    } catch (e) {
      throw inputFailure(e);
    }
  }
}

/** A Conflict or NotFound (the exports cannot be diffed) as the job's failure; anything else as it is. */
function inputFailure(e: unknown): unknown {
  return e instanceof Conflict || e instanceof NotFound ? new ExportFailure(ERROR_CODES.input, `The diff's batch cannot be written: ${e.message}`) : e;
}

/** Per bucket, in the plan's order (a bucket with no rows counts zeros). */
function orderedCounts(plan: DiffPlan, counts: BucketCounts[]): BucketCounts[] {
  const byBucket = new Map(counts.map((c) => [c.bucket, c]));
  return plan.buckets.map((bucket) => byBucket.get(bucket) ?? { bucket, entered: 0, exited: 0, changed: 0, unchanged: 0 });
}

/** The serialised `_diff` member per change and bucket: a few per job, made once each. */
const memberCache = new Map<string, string>();

/** The row as written, with `"_diff": {"change", "bucket"}` appended to its top-level object. */
export function diffRowOf(row: ChangedRow): ExportRow {
  const cacheKey = `${row.change}\n${row.bucket}`;
  let member = memberCache.get(cacheKey);
  if (member === undefined) {
    member = `${JSON.stringify(DIFF_ROW_MEMBER)}:${JSON.stringify({ change: row.change, bucket: row.bucket })}`;
    if (memberCache.size < 10_000) memberCache.set(cacheKey, member);
  }
  return { primaryNamespace: row.namespace, primaryId: row.id, profileParts: appendMembersToBytes(row.profile, member) };
}
