import { Injectable } from '@nestjs/common';
import { MergePolicy, NotImplemented, TenantScope } from '@sx/domain';
import type { EvaluationClock, ParsedDefinition } from '@sx/pql';

/** One profile of the store as a preview sees it. */
export interface PreviewProfile {
  /** The profile key under the plan's identity graph (its primary identity `ns:id`). */
  key: string;
  /** Every identity of the merged profile as `ns:id`, each once. */
  identities: readonly string[];
  matched: boolean;
}

export interface PreviewEvaluationRequest {
  scope: TenantScope;
  /** The policy whose attribute merge applies, its identity graph already set to the preview's graphType. */
  mergePolicy: MergePolicy;
  definition: ParsedDefinition;
  clock: EvaluationClock;
}

/**
 * The evaluation pass a preview runs: every merged profile of the store in key order, with its
 * events and overlaid memberships, decided by the compiled expression. Breaking out of the
 * iteration closes the read. Writes nothing.
 */
export abstract class PreviewEvaluation {
  abstract evaluate(request: PreviewEvaluationRequest): AsyncIterable<PreviewProfile>;
}

/**
 * Stand-in until the segment evaluation pass (apps/worker/src/segmentation/evaluation-pass.ts) is
 * merged: a preview then ends FAILED saying so, instead of pretending to have evaluated.
 */
@Injectable()
export class EvaluationPassNotBuilt extends PreviewEvaluation {
  // eslint-disable-next-line require-yield
  async *evaluate(): AsyncIterable<PreviewProfile> {
    throw new NotImplemented('segment evaluation is not built yet: the evaluation pass is not merged');
  }
}
