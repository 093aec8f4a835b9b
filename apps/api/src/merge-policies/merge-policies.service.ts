import { Injectable, Logger } from '@nestjs/common';
import { BUILT_IN_MERGE_POLICY_ID, Caller, Conflict, MergePolicy, MergePolicyPage, NewMergePolicy, NotFound, PROFILE_SCHEMA_NAME } from '@sx/domain';
import { MergePolicyRepository } from '@sx/persistence';
import type { CreateMergePolicyDto } from './dto/create-merge-policy.dto';

@Injectable()
export class MergePoliciesService {
  private readonly logger = new Logger(MergePoliciesService.name);

  constructor(private readonly policies: MergePolicyRepository) {}

  create(caller: Caller, dto: CreateMergePolicyDto): Promise<MergePolicy> {
    return this.policies.create(caller, normalize(dto));
  }

  async get(caller: Caller, id: string): Promise<MergePolicy> {
    const policy = await this.policies.resolve(caller, id);
    if (!policy) throw new NotFound(`Merge policy ${JSON.stringify(id)} does not exist.`);
    return policy;
  }

  list(caller: Caller, page: { start: number; limit: number }): Promise<MergePolicyPage> {
    return this.policies.list(caller, page);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const result = await this.policies.delete(caller, id);
    switch (result.outcome) {
      case 'deleted':
        this.logger.log({ msg: 'merge policy deleted', mergePolicyId: id });
        return;
      case 'not-found':
        throw new NotFound(`Merge policy ${JSON.stringify(id)} does not exist.`);
      case 'built-in':
        throw new Conflict(
          `${BUILT_IN_MERGE_POLICY_ID} is the built-in merge policy every sandbox has (the default when no other policy is); it cannot be deleted.`,
        );
      case 'in-use':
        throw new Conflict(
          `Merge policy ${JSON.stringify(id)} is used by ${result.segmentCount} segment definition(s); delete those first.`,
        );
    }
  }
}

/** Defaults made explicit; `order` is kept only where it means something (the DTO refuses it elsewhere). */
function normalize(dto: CreateMergePolicyDto): NewMergePolicy {
  return {
    name: dto.name,
    attributeMerge:
      dto.attributeMerge.type === 'dataSetPrecedence'
        ? { type: 'dataSetPrecedence', order: [...(dto.attributeMerge.order ?? [])] }
        : { type: 'timestampOrdered' },
    identityGraph: { type: dto.identityGraph.type },
    schema: { name: dto.schema?.name ?? PROFILE_SCHEMA_NAME },
    default: dto.default ?? false,
  };
}
