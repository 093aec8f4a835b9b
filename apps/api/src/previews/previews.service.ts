import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Caller, MergePolicy, NotFound, PQL_TEXT_FORMAT, PROFILE_SCHEMA_NAME, Preview, PreviewMatch, ValidationFailed, decodePreviewId } from '@sx/domain';
import { MergePolicyRepository, PreviewRepository } from '@sx/persistence';
import { PreviewDispatcher } from '@sx/queue';
import { ExpressionChecker } from '../segment-definitions/expression-checker.service';
import type { CreatePreviewDto } from './dto/create-preview.dto';

/**
 * Previews and estimates: POST stores the preview (its expression checked as a definition's is)
 * and hands it to a worker through the outbox; GET reads what the worker wrote so far.
 */
@Injectable()
export class PreviewsService {
  private readonly logger = new Logger(PreviewsService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly previews: PreviewRepository,
    private readonly policies: MergePolicyRepository,
    private readonly checker: ExpressionChecker,
    private readonly dispatcher: PreviewDispatcher,
  ) {}

  async create(caller: Caller, dto: CreatePreviewDto): Promise<Preview> {
    const parsed = this.checker.parse(PQL_TEXT_FORMAT, dto.predicateExpression, 'predicateExpression');
    await this.checker.checkReferences(caller, parsed, 'predicateExpression');
    const policy = await this.mergePolicy(caller, dto.mergePolicyId);
    const preview = await this.previews.create(
      caller,
      {
        expression: dto.predicateExpression,
        predicateModel: dto.predicateModel ?? PROFILE_SCHEMA_NAME,
        graphType: dto.graphType ?? policy.identityGraph.type,
        mergePolicyId: policy.id,
      },
      this.config.PREVIEW_TTL_SECONDS * 1000,
    );
    await this.dispatcher.dispatchSoon({ previewId: preview.id, orgId: caller.orgId, sandboxName: caller.sandboxName });
    this.logger.log({ msg: 'preview created', previewQueryId: preview.id, mergePolicyId: policy.id, graphType: preview.graphType });
    return preview;
  }

  /** The preview a previewId names in the caller's sandbox; 404 for anything else (expired included). */
  async get(caller: Caller, previewId: string): Promise<Preview> {
    const id = decodePreviewId(previewId);
    const preview = id ? await this.previews.find(caller, id) : null;
    if (!preview) throw new NotFound(`Preview ${previewId} does not exist.`);
    return preview;
  }

  async page(caller: Caller, previewId: string, offset: number, limit: number): Promise<{ preview: Preview; matches: PreviewMatch[] }> {
    const preview = await this.get(caller, previewId);
    return { preview, matches: await this.previews.matches(caller, preview.id, offset, limit) };
  }

  /** Removes the preview and its results; a run in progress stops at its next checkpoint. */
  async delete(caller: Caller, previewId: string): Promise<void> {
    const id = decodePreviewId(previewId);
    if (!id || !(await this.previews.delete(caller, id))) throw new NotFound(`Preview ${previewId} does not exist.`);
    await this.dispatcher.remove(id);
    this.logger.log({ msg: 'preview deleted', previewQueryId: id });
  }

  private async mergePolicy(caller: Caller, id: string | undefined): Promise<MergePolicy> {
    if (id === undefined) return this.policies.defaultFor(caller);
    const policy = await this.policies.resolve(caller, id);
    if (!policy) throw new ValidationFailed([{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }]);
    return policy;
  }
}
