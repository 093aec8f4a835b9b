import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { DomainError, Preview, TenantScope } from '@sx/domain';
import { PqlError, parseDefinition } from '@sx/pql';
import { MergePolicyRepository, PreviewRepository } from '@sx/persistence';
import type { JobName, JobPayload } from '@sx/queue';
import { PreviewEvaluation } from './preview-evaluation';
import { PreviewTally } from './preview-tally';

type RunPreviewJob = Job<JobPayload<JobName.RunPreview>>;

/** Another live attempt holds the preview: retried later by BullMQ, never run twice at once. */
export class PreviewBusy extends Error {
  constructor(id: string) {
    super(`preview ${id} is being evaluated by another worker`);
  }
}

/** A preview that cannot succeed however often it is tried (its policy is gone, its expression no longer parses). */
class PreviewRefused extends Error {}

/**
 * Runs a preview: one evaluation pass over the sandbox's profiles, writing no membership. Counts
 * and matches are checkpointed every PREVIEW_PROGRESS_EVERY profiles (and at least every third of
 * the lease), so memory holds one checkpoint's matches and GET /estimate shows profilesReadSoFar
 * rising. A preview deleted meanwhile makes the next checkpoint fail and the run stop.
 */
@Injectable()
export class PreviewProcessor {
  private readonly logger = new Logger(PreviewProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly previews: PreviewRepository,
    private readonly policies: MergePolicyRepository,
    private readonly evaluation: PreviewEvaluation,
  ) {}

  readonly handle = (job: RunPreviewJob) => this.run(job);

  async run(job: RunPreviewJob): Promise<Record<string, unknown>> {
    const { previewId, orgId, sandboxName } = job.data;
    // Counted before the claim, so that a RUNNING estimate always shows numRowsToRead.
    const totalRows = await this.previews.profileCount({ orgId, sandboxName });
    const claim = await this.previews.claim(previewId, this.config.WORKER_LOCK_MS, this.config.PREVIEW_ATTEMPTS, totalRows);
    if (claim.outcome === 'busy') throw new PreviewBusy(previewId);
    if (claim.outcome !== 'claimed') return { skipped: claim.outcome };
    const { preview, token } = claim;
    const started = Date.now();
    try {
      const outcome = await this.evaluate(preview, token, job);
      this.logger.log({ msg: 'preview ended', previewQueryId: previewId, ...outcome, ms: Date.now() - started });
      return outcome;
    } catch (e) {
      const error = e as Error;
      const final = error instanceof PreviewRefused || error instanceof DomainError || preview.attempts >= this.config.PREVIEW_ATTEMPTS;
      this.logger.warn({ msg: 'preview attempt failed', previewQueryId: previewId, attempt: preview.attempts, final, error: error.message });
      if (!final) {
        await this.previews.release(previewId, token).catch(() => undefined);
        throw error;
      }
      await this.previews.finish(previewId, token, 'FAILED', { error: error.message.split('\n')[0].slice(0, 500) }).catch(() => undefined);
      throw new UnrecoverableError(error.message);
    }
  }

  private async evaluate(preview: Preview, token: string, job: RunPreviewJob): Promise<Record<string, unknown>> {
    const scope: TenantScope = { orgId: preview.orgId, sandboxName: preview.sandboxName };
    const policy = await this.policies.resolve(scope, preview.mergePolicyId);
    if (!policy) throw new PreviewRefused(`merge policy ${preview.mergePolicyId} no longer exists`);
    let definition;
    try {
      definition = parseDefinition('pql/text', preview.expression);
    } catch (e) {
      if (e instanceof PqlError) throw new PreviewRefused(e.message);
      throw e;
    }
    const tally = new PreviewTally();
    const every = this.config.PREVIEW_PROGRESS_EVERY;
    const leaseMs = this.config.WORKER_LOCK_MS;
    const pace = new Pace(this.config.PREVIEW_RATE_LIMIT);
    let lastCheckpoint = Date.now();
    const checkpoint = async (): Promise<boolean> => {
      const progress = tally.progress();
      if (!(await this.previews.checkpoint(preview.id, token, leaseMs, progress))) return false;
      tally.committed(progress);
      lastCheckpoint = Date.now();
      await job.updateProgress({ profilesRead: tally.profilesRead, profilesMatched: tally.profilesMatched }).catch(() => undefined);
      return true;
    };

    const stop = new AbortController();
    let stopped = false;
    await this.evaluation.evaluate(
      {
        scope,
        mergePolicy: { ...policy, identityGraph: { type: preview.graphType } },
        definition,
        clock: { nowMs: this.config.SEGMENT_EVALUATION_NOW_MS ?? Date.now(), zone: this.config.SEGMENT_EVALUATION_ZONE },
        signal: stop.signal,
      },
      async (profile) => {
        tally.add(profile);
        await pace.wait(tally.profilesRead);
        if (tally.profilesRead % every === 0 || tally.pendingCount >= every || Date.now() - lastCheckpoint > leaseMs / 3) {
          if (!(await checkpoint())) {
            stopped = true;
            stop.abort();
          }
        }
      },
    );
    if (stopped) return { stopped: 'deleted', profilesRead: tally.profilesRead };
    if (!(await checkpoint())) return { stopped: 'deleted', profilesRead: tally.profilesRead };
    if (!(await this.previews.finish(preview.id, token, 'RESULT_READY', { totalRows: tally.profilesRead }))) return { stopped: 'deleted' };
    return { state: 'RESULT_READY', profilesRead: tally.profilesRead, profilesMatched: tally.profilesMatched };
  }
}

/** Holds a run to `perSecond` profiles per second (0: no limit). */
class Pace {
  private readonly start = Date.now();
  constructor(private readonly perSecond: number) {}
  async wait(done: number): Promise<void> {
    if (!this.perSecond) return;
    const due = this.start + (done * 1000) / this.perSecond;
    const ms = due - Date.now();
    if (ms > 0) await sleep(ms);
  }
}
