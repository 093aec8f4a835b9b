import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import type { ExportMetrics, TenantScope } from '@sx/domain';
import { ExportRunRepository, ProfileReadRepository } from '@sx/persistence';
import { CancelRequested, CancelSubscriber } from '@sx/queue';
import { Metrics } from '@sx/observability';
import { watchExportAttempt } from './attempt-watch';
import { runEvaluatingExport } from './evaluating-export';
import { type ExportAttemptClaim, endUnsucceededAttempt } from './attempt-end';
import { AttemptSuperseded } from './export-failure';
import { type ExportPlan, readPlanOf } from './export-plan';
import { type PipelineCounters, runExportPipeline } from './export-pipeline';
import { ExportPlanner } from './export-planner';
import { DryRunSink } from './dry-run-sink';
import { emptyCounts } from './segment-counts';

/** A claimed dry run: the job, this attempt's lease token and number. */
export type DryRunClaim = ExportAttemptClaim;

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
      const deps = { runs: this.runs, config: this.config, metrics: this.metrics, logger: this.logger };
      return await endUnsucceededAttempt(deps, 'dry run', scope, claim, startedAt, { reason: watch.signal.aborted ? watch.signal.reason : e, error: e });
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
}
