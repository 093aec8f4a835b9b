import { Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import type { SegmentJob, SegmentJobMetrics, TenantScope } from '@sx/domain';
import { mergeRuleOf } from '@sx/export';
import { Metrics } from '@sx/observability';
import { MembershipDeltaRepository, MergePolicyRepository, ProfileReadRepository, SegmentClaim, SegmentRunRepository } from '@sx/persistence';
import type { JobName, JobPayload } from '@sx/queue';
import { EvaluationCounters, type SegmentCounters } from './evaluation-counters';
import { runEvaluationPass } from './evaluation-pass';
import { type EvaluationPlan, planEvaluation } from './evaluation-plan';
import { SEGMENT_ERROR_CODES, SegmentAttemptSuperseded, SegmentCancelRequested, SegmentJobFailure, segmentAttemptsExhausted, segmentJobError } from './segment-job-failure';
import { AttemptLease } from '../common/attempt-lease';

type RunSegmentJob = Job<JobPayload<JobName.RunSegmentJob>>;
type Claimed = Extract<SegmentClaim, { job: SegmentJob }>;

const LEASE_MARGIN_MS = 250;

const span = (start: number, end: number) => ({ startTimeInMs: start, endTimeInMs: end, totalTimeInMs: end - start });

/**
 * Runs one segment job: claim it under a lease (its `now` fixed at the first claim), evaluate
 * every definition in one streaming pass per merge policy, stage the membership deltas, then apply
 * them and mark the job SUCCEEDED in one transaction fenced by the attempt's token. Cancel and
 * failure apply nothing; a retry discards what the failed attempt staged and evaluates at the same
 * `now`, so its result is the one a run that never failed would have had.
 */
@Injectable()
export class SegmentJobProcessor {
  private readonly logger = new Logger(SegmentJobProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runs: SegmentRunRepository,
    private readonly deltas: MembershipDeltaRepository,
    private readonly policies: MergePolicyRepository,
    private readonly reads: ProfileReadRepository,
    private readonly metrics: Metrics,
  ) {}

  readonly handle = (job: RunSegmentJob, token?: string) => this.run(job, token ?? job.token);

  async run(queueJob: RunSegmentJob, token?: string): Promise<Record<string, unknown>> {
    const { segmentJobId: id, orgId, sandboxName } = queueJob.data;
    const scope: TenantScope = { orgId, sandboxName };
    const claim = await this.runs.claim(scope, id, this.config.WORKER_LOCK_MS, this.config.SEGMENT_JOB_ATTEMPTS, this.config.SEGMENT_EVALUATION_NOW_MS ?? Date.now());
    if (claim.kind === 'finished') return { skipped: 'finished, cancelled or unknown' };
    if (claim.kind === 'busy') {
      // Another attempt holds the lease: look again when it should have lapsed (see ExportJobProcessor).
      this.logger.log({ msg: 'segment job attempt still running elsewhere; looking again later', segmentJobId: id, inMs: claim.retryInMs });
      await queueJob.moveToDelayed(Date.now() + claim.retryInMs + LEASE_MARGIN_MS, token);
      throw new DelayedError();
    }
    this.logger.log({ msg: 'segment job attempt started', segmentJobId: id, attempt: claim.attempt, kind: claim.kind });
    if (claim.kind === 'cancel') {
      const metrics = this.endMetrics(claim.job);
      if (await this.runs.end(scope, id, claim.lease, 'CANCELLED', metrics)) this.metrics.jobEnded('segment', 'CANCELLED', metrics.totalTime?.totalTimeInMs);
      return { cancelled: true };
    }
    if (claim.kind === 'exhausted') {
      const error = segmentAttemptsExhausted(claim.attempt);
      const metrics = this.endMetrics(claim.job);
      if (await this.runs.end(scope, id, claim.lease, 'FAILED', metrics, [error])) this.metrics.jobEnded('segment', 'FAILED', metrics.totalTime?.totalTimeInMs);
      throw new UnrecoverableError(error.msg);
    }
    return this.attempt(queueJob, scope, claim);
  }

  private endMetrics(job: SegmentJob): SegmentJobMetrics {
    const start = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    return { totalTime: span(start, Date.now()), profileSegmentationTime: {} };
  }

  private async attempt(queueJob: RunSegmentJob, scope: TenantScope, claim: Claimed): Promise<Record<string, unknown>> {
    const { job, lease: token, attempt } = claim;
    const id = job.id;
    const startedAt = job.metrics?.totalTime?.startTimeInMs ?? Date.now();
    const controller = new AbortController();
    const lease = new AttemptLease({ label: { segmentJobId: id }, renew: (ms) => this.runs.renew(scope, id, token, ms) }, token, this.config.WORKER_LOCK_MS, () =>
      controller.abort(new SegmentAttemptSuperseded()),
    ).start();
    // Cancel requests are read from Postgres (the job's status): honoured between profiles.
    const poll = setInterval(() => {
      this.runs.cancelRequested(scope, id).then(
        (yes) => yes && controller.abort(new SegmentCancelRequested()),
        () => undefined,
      );
    }, this.config.CANCEL_POLL_MS);
    let profilesRead = 0;
    const progress = setInterval(() => {
      this.runs.progress(scope, id, token, { totalTime: { startTimeInMs: startedAt }, profileSegmentationTime: {}, profilesRead }).catch(() => undefined);
      queueJob.updateProgress({ profilesRead }).catch(() => undefined);
    }, this.config.EXPORT_PROGRESS_INTERVAL_MS);
    try {
      await this.deltas.discardOtherAttempts(id, token);
      if (await this.runs.cancelRequested(scope, id)) throw new SegmentCancelRequested();
      const nowMs = job.nowMs ?? Date.now();
      const plan = planEvaluation(job.definitions, { nowMs, zone: this.config.SEGMENT_EVALUATION_ZONE });
      const segStart = Date.now();
      const { counters, byPolicy } = await this.evaluate(scope, id, token, plan, nowMs, controller.signal, (n) => (profilesRead = n));
      if (controller.signal.aborted) throw controller.signal.reason;
      const end = Date.now();
      const metrics: SegmentJobMetrics = {
        totalTime: span(startedAt, end),
        profileSegmentationTime: span(segStart, end),
        totalProfiles: counters.totalProfiles,
        totalProfilesByMergePolicy: byPolicy,
        segmentedProfileCounter: counters.segmentedProfileCounter,
        segmentedProfileByNamespaceCounter: counters.segmentedProfileByNamespaceCounter,
        segmentedProfileByStatusCounter: counters.segmentedProfileByStatusCounter,
      };
      const outcome = await this.runs.succeed(scope, id, token, metrics);
      if (outcome === 'cancel-requested') throw new SegmentCancelRequested();
      if (outcome === 'superseded') throw new SegmentAttemptSuperseded();
      this.metrics.jobEnded('segment', 'SUCCEEDED', end - startedAt);
      this.logger.log({ msg: 'segment job succeeded', segmentJobId: id, attempt, profiles: counters.totalProfiles, ms: end - startedAt });
      return { profiles: counters.totalProfiles };
    } catch (e) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      if (reason instanceof SegmentAttemptSuperseded || e instanceof SegmentAttemptSuperseded) {
        this.logger.warn({ msg: 'segment job attempt superseded; it applied nothing', segmentJobId: id, attempt });
        return { superseded: true };
      }
      const metrics = this.endMetrics(job);
      if (reason instanceof SegmentCancelRequested) {
        if (await this.runs.end(scope, id, token, 'CANCELLED', metrics)) this.metrics.jobEnded('segment', 'CANCELLED', metrics.totalTime?.totalTimeInMs);
        this.logger.log({ msg: 'segment job cancelled', segmentJobId: id });
        return { cancelled: true };
      }
      const final = e instanceof SegmentJobFailure || attempt >= this.config.SEGMENT_JOB_ATTEMPTS;
      this.logger.warn({ msg: final ? 'segment job failed' : 'segment job attempt failed; it will be retried', segmentJobId: id, attempt, error: (e as Error).message });
      if (final) {
        if (await this.runs.end(scope, id, token, 'FAILED', metrics, [segmentJobError(e, attempt)])) this.metrics.jobEnded('segment', 'FAILED', metrics.totalTime?.totalTimeInMs);
        throw new UnrecoverableError((e as Error).message);
      }
      await this.runs.release(scope, id, token).catch(() => undefined);
      throw e;
    } finally {
      lease.stop();
      clearInterval(poll);
      clearInterval(progress);
    }
  }

  /** One streaming pass per merge policy; deltas staged under (job id, attempt token). */
  private async evaluate(
    scope: TenantScope,
    id: string,
    token: string,
    plan: EvaluationPlan,
    nowMs: number,
    signal: AbortSignal,
    onRead: (profilesRead: number) => void,
  ): Promise<{ counters: SegmentCounters; byPolicy: Record<string, number> }> {
    const all: SegmentCounters[] = [];
    const byPolicy: Record<string, number> = {};
    let read = 0;
    const started = Date.now();
    const rate = this.config.SEGMENT_RATE_LIMIT;
    /** SEGMENT_RATE_LIMIT: wait (in short, abortable steps) until the next profile's turn. */
    const pace = async () => {
      for (let due = started + (read * 1000) / rate; Date.now() < due && !signal.aborted;) await new Promise((r) => setTimeout(r, Math.min(50, due - Date.now())));
    };
    for (const pass of plan.passes) {
      if (signal.aborted) break;
      const policy = await this.policies.resolve(scope, pass.mergePolicyId);
      if (!policy) throw new SegmentJobFailure(SEGMENT_ERROR_CODES.input, `Merge policy "${pass.mergePolicyId}" does not exist in this sandbox.`);
      const counters = new EvaluationCounters(pass.definitions.map((d) => d.segmentId));
      const reader = await this.reads.open(scope, { identityGraph: policy.identityGraph.type, events: pass.usesEvents ? {} : undefined, evaluated: plan.overlaySegments });
      const stager = await this.deltas.stage(id, token);
      try {
        const n = await runEvaluationPass(
          reader,
          pass.definitions,
          { nowMs, rule: mergeRuleOf(policy.attributeMerge), identityGraph: policy.identityGraph.type, withEvents: pass.usesEvents, signal },
          async (p) => {
            counters.add(p);
            onRead(++read);
            for (const o of p.outcomes) {
              if (o.change) await stager.write({ segmentNs: o.segmentNs, segmentId: o.segmentId, identity: p.identity, status: o.change, lastQualificationTimeMs: nowMs });
            }
            if (rate) await pace();
          },
        );
        byPolicy[pass.mergePolicyId] = n;
        await stager.finish();
      } catch (e) {
        stager.abort();
        throw e;
      } finally {
        await reader.close();
      }
      all.push(counters.counters);
    }
    return { counters: combine(all), byPolicy };
  }
}

/** The job's counters from its passes: per-segment maps are disjoint; totalProfiles is the largest pass. */
function combine(parts: SegmentCounters[]): SegmentCounters {
  const out: SegmentCounters = { totalProfiles: 0, segmentedProfileCounter: {}, segmentedProfileByNamespaceCounter: {}, segmentedProfileByStatusCounter: {} };
  for (const p of parts) {
    out.totalProfiles = Math.max(out.totalProfiles, p.totalProfiles);
    Object.assign(out.segmentedProfileCounter, p.segmentedProfileCounter);
    Object.assign(out.segmentedProfileByNamespaceCounter, p.segmentedProfileByNamespaceCounter);
    Object.assign(out.segmentedProfileByStatusCounter, p.segmentedProfileByStatusCounter);
  }
  return out;
}
