import { Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import type { ExportJob, ExportMetrics, TenantScope } from '@sx/domain';
import { ExportRunRepository, ProfileReadRepository } from '@sx/persistence';
import { CancelRequested, CancelSubscriber } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { watchExportAttempt } from './attempt-watch';
import { runEvaluatingExport } from './evaluating-export';
import { AttemptSuperseded, ExportFailure, jobError } from './export-failure';
import { type ExportPlan, readPlanOf } from './export-plan';
import { type PipelineCounters, runExportPipeline } from './export-pipeline';
import { ExportPlanner } from './export-planner';
import { DryRunSink } from './dry-run-sink';
import { emptyCounts } from './segment-counts';

/** A claimed dry run: the job, this attempt's lease token and number. */
export interface DryRunClaim {
  job: ExportJob;
  lease: string;
  attempt: number;
}

/**
 * Runs a dry run (issue 15): the real plan and pipeline, read the same way and counted the same
 * way as the export would be, with a sink that keeps the first rows instead of a batch output.
 * No batch, no file, no webhook; an evaluating dry run evaluates but stages no membership. Never
 * split into partitions (nothing is written, so nothing would be gained; one read in key order
 * also makes its sample the export's first rows). Not paced by EXPORT_RATE_LIMIT: it writes nothing.
 * Lease, cancel and retries as for a whole export (ExportJobProcessor).
 */
@Injectable()
export class DryRunExport {
  private readonly logger = new Logger(DryRunExport.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runs: ExportRunRepository,
    private readonly planner: ExportPlanner,
    private readonly reads: ProfileReadRepository,
    private readonly cancels: CancelSubscriber,
    private readonly metrics: Metrics,
  ) {}

  async attempt(scope: TenantScope, claim: DryRunClaim): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    const id = job.id;
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const watch = watchExportAttempt({ runs: this.runs, cancels: this.cancels, config: this.config }, scope, id, token, { exportJobId: id, dryRun: 'true' });
    try {
      if (await this.runs.cancelRequested(scope, id)) throw new CancelRequested();
      const plan = { ...(await this.planner.plan(scope, job)), rateLimit: 0 };
      const { sink, counters } = await this.count(scope, plan, watch.signal);
      const end = Date.now();
      const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt } };
      const outcome = await this.runs.finishDryRun(scope, id, token, metrics, sink.result(counters, !!plan.segments?.length));
      if (outcome === 'cancel-requested') throw new CancelRequested();
      if (outcome === 'superseded') throw new AttemptSuperseded();
      this.metrics.jobEnded('export', 'SUCCEEDED', end - startedAt);
      this.logger.log({ msg: 'dry run succeeded', exportJobId: id, attempt, profiles: counters.profiles, ms: end - startedAt });
      return { dryRun: true, profiles: counters.profiles };
    } catch (e) {
      return await this.failed(scope, claim, startedAt, watch.signal.aborted ? watch.signal.reason : e, e);
    } finally {
      watch.stop();
    }
  }

  /** The pipeline over the plan's read, into the sampling sink. */
  private async count(scope: TenantScope, plan: ExportPlan, signal: AbortSignal): Promise<{ sink: DryRunSink; counters: PipelineCounters }> {
    const sink = new DryRunSink(plan.format);
    const counters: PipelineCounters = { profiles: 0, byNamespace: emptyCounts() };
    const reader = await this.reads.open(scope, readPlanOf(plan));
    try {
      // Evaluated, not staged: a dry run changes no membership.
      if (plan.evaluation) await runEvaluatingExport(reader, plan, sink.write, signal, counters, () => Promise.resolve());
      else await runExportPipeline(reader, plan, sink.write, signal, counters);
    } finally {
      await reader.close();
    }
    if (signal.aborted) throw signal.reason;
    return { sink, counters };
  }

  /** Superseded: nothing. Cancelled: CANCELLED. Bad input or the last attempt: FAILED. Else retried. */
  private async failed(scope: TenantScope, claim: DryRunClaim, startedAt: number, reason: unknown, e: unknown): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    if (reason instanceof AttemptSuperseded || e instanceof AttemptSuperseded) {
      this.logger.warn({ msg: 'dry run attempt superseded', exportJobId: job.id, attempt });
      return { superseded: true };
    }
    const end = Date.now();
    const metrics: ExportMetrics = { totalTime: { startTimeInMs: startedAt, endTimeInMs: end, totalTimeInMs: end - startedAt } };
    if (reason instanceof CancelRequested) {
      if (await this.runs.end(scope, job.id, token, 'CANCELLED', [], metrics)) this.metrics.jobEnded('export', 'CANCELLED', end - startedAt);
      return { cancelled: true };
    }
    const final = e instanceof ExportFailure || attempt >= this.config.EXPORT_ATTEMPTS;
    this.logger.warn({ msg: final ? 'dry run failed' : 'dry run attempt failed; it will be retried', exportJobId: job.id, attempt, error: (e as Error).message });
    if (final) {
      if (await this.runs.end(scope, job.id, token, 'FAILED', [], metrics, [jobError(e, attempt)])) this.metrics.jobEnded('export', 'FAILED', end - startedAt);
      throw new UnrecoverableError((e as Error).message);
    }
    await this.runs.release(scope, job.id, token).catch(() => undefined);
    throw e;
  }
}
