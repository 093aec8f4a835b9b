import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Batch, CHAIN_NEEDS_NO_GRAPH, ExportDestination, ExportJob, MergePolicy, TenantScope, resolveSchema } from '@sx/domain';
import { DatasetRepository, MergePolicyRepository, ProfileReadRepository, SegmentDefinitionRepository } from '@sx/persistence';
import { ERROR_CODES, ExportFailure } from './export-failure';
import { ExportPlan, planExport } from './export-plan';
import { compileExportEvaluation } from './export-evaluation';

/**
 * Turns a claimed export job into its plan: merge policy, destination checks, and which
 * memberships are overlaid or evaluated. The same for a job written in one piece and for each of
 * its partitions, so that every partition writes its profiles exactly as the whole job would.
 */
@Injectable()
export class ExportPlanner {
  constructor(
    private readonly config: AppConfig,
    private readonly policies: MergePolicyRepository,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly datasets: DatasetRepository,
    private readonly reads: ProfileReadRepository,
  ) {}

  async plan(scope: TenantScope, job: ExportJob): Promise<ExportPlan> {
    const plan = planExport(job, await this.policyOf(scope, job), this.config.EXPORT_RATE_LIMIT);
    if (job.chainLink && plan.policy.identityGraph.type !== 'none') throw new ExportFailure(ERROR_CODES.input, `filter.chainId ${CHAIN_NEEDS_NO_GRAPH}.`);
    await this.checkDestination(scope, plan);
    await this.planMemberships(scope, job, plan);
    return plan;
  }

  /**
   * Which memberships the run overlays and evaluates (memberships.md 3): with
   * evaluationInfo.segmentation, the listed segments' definitions compiled with the run's now, and
   * the evaluated rows of those segments and of the ones they name; otherwise the exported
   * segments' evaluated rows, only if any exist (an EXISTS on a partial index: an export of a store
   * no segment job has touched reads nothing more).
   */
  private async planMemberships(scope: TenantScope, job: ExportJob, plan: ExportPlan): Promise<void> {
    if (job.evaluationInfo?.segmentation) {
      if (!plan.segments?.length) throw new ExportFailure(ERROR_CODES.input, 'evaluationInfo.segmentation needs filter.segments: the segments to evaluate.');
      if (job.evaluationNowMs === undefined) throw new Error('an evaluating export was claimed without its run time');
      const definitions = await this.definitions.findMany(scope, [...new Set(plan.segments.map((s) => s.segmentId))]);
      const compiled = compileExportEvaluation(plan.segments, definitions, { nowMs: job.evaluationNowMs, zone: this.config.SEGMENT_EVALUATION_ZONE });
      plan.evaluation = compiled.evaluation;
      plan.overlay = compiled.overlay;
      return;
    }
    if (plan.segments?.length && (await this.reads.hasEvaluated(scope, plan.segments))) {
      plan.overlay = plan.segments.map((s) => ({ segmentNs: s.segmentNs, segmentId: s.segmentId }));
    }
  }

  /** The job's merge policy; else its first segment's; else the sandbox default. */
  private async policyOf(scope: TenantScope, job: ExportJob): Promise<MergePolicy> {
    let id = job.mergePolicy?.id;
    if (!id && job.filter?.segments?.length) {
      const first = job.filter.segments[0];
      id = (await this.definitions.findById(scope, first.segmentId))?.mergePolicyId;
    }
    const policy = id ? await this.policies.resolve(scope, id) : await this.policies.defaultFor(scope);
    if (!policy) throw new ExportFailure(ERROR_CODES.input, `Merge policy "${id}" does not exist in this sandbox.`);
    return policy;
  }

  private async checkDestination(scope: TenantScope, plan: ExportPlan): Promise<void> {
    const dataset = await this.datasets.findById(scope, plan.datasetId);
    if (!dataset) throw new ExportFailure(ERROR_CODES.input, `Dataset ${plan.datasetId} does not exist in this sandbox.`);
    if (resolveSchema(dataset.schemaId)?.kind !== 'profile') {
      throw new ExportFailure(ERROR_CODES.input, `Dataset ${plan.datasetId} is not a profile dataset.`);
    }
  }
}

/** The job's destination with the batches a run writes: one per segment under segmentPerBatch. */
export function destinationOf(job: ExportJob, plan: ExportPlan, batches: Batch[]): ExportDestination {
  const destination: ExportDestination = { ...job.destination };
  if (plan.segmentPerBatch) {
    destination.batches = plan.segments!.map((s, i) => ({ segmentId: s.segmentId, segmentNs: s.segmentNs, status: s.status, batchId: batches[i].id }));
    delete destination.batchId;
  } else {
    destination.batchId = batches[0].id;
    delete destination.batches;
  }
  return destination;
}

/** The ids of the batches a run recorded in the job's destination, in the plan's order. */
export function batchIdsOf(destination: ExportDestination): string[] {
  if (destination.batches?.length) return destination.batches.map((b) => b.batchId);
  return destination.batchId ? [destination.batchId] : [];
}
