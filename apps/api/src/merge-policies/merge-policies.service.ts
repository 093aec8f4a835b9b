import { Injectable, Logger } from '@nestjs/common';
import {
  BUILT_IN_MERGE_POLICY_ID,
  Caller,
  Conflict,
  MergePolicy,
  MergePolicyListing,
  MergePolicyPage,
  MergePolicyPatchOperation,
  MergePolicyWrite,
  NewMergePolicy,
  NotFound,
  PROFILE_SCHEMA_NAME,
  ValidationFailed,
  applyMergePolicyPatch,
} from '@sx/domain';
import { MergePolicyRepository } from '@sx/persistence';
import { logIgnored, sentFields } from '../common/read-only-fields';
import { CreateMergePolicyDto, READ_ONLY_POLICY_FIELDS } from './dto/create-merge-policy.dto';

const builtInIsFixed = (what: 'deleted' | 'changed') =>
  `${BUILT_IN_MERGE_POLICY_ID} is the built-in merge policy every sandbox has (the default when no other policy is); it cannot be ${what}.`;

@Injectable()
export class MergePoliciesService {
  private readonly logger = new Logger(MergePoliciesService.name);

  constructor(private readonly policies: MergePolicyRepository) {}

  async create(caller: Caller, dto: CreateMergePolicyDto): Promise<MergePolicy> {
    logIgnored(this.logger, 'POST /config/mergePolicies', ignoredFields(dto));
    return saved(await this.policies.create(caller, normalize(dto)), '');
  }

  /** PUT: the body replaces the policy (AEP: every create field again); version +1. */
  async replace(caller: Caller, id: string, dto: CreateMergePolicyDto): Promise<MergePolicy> {
    logIgnored(this.logger, 'PUT /config/mergePolicies/{id}', ignoredFields(dto));
    return saved(await this.policies.update(caller, id, () => normalize(dto)), id);
  }

  /** PATCH: AEP's operations applied to the stored policy, all or none; version +1. */
  async patch(caller: Caller, id: string, operations: MergePolicyPatchOperation[]): Promise<MergePolicy> {
    const result = await this.policies.update(caller, id, (current) => {
      const patched = applyMergePolicyPatch(current, operations);
      logIgnored(this.logger, 'PATCH /config/mergePolicies/{id}', patched.ignored);
      return patched.policy;
    });
    return saved(result, id);
  }

  async get(caller: Caller, id: string): Promise<MergePolicy> {
    const policy = await this.policies.resolve(caller, id);
    if (!policy) throw new NotFound(`Merge policy ${JSON.stringify(id)} does not exist.`);
    return policy;
  }

  /** bulk-get: the policies found (the built-in included), each once; ids that name none are left out. */
  bulkGet(caller: Caller, ids: string[]): Promise<MergePolicy[]> {
    return this.policies.findMany(caller, ids);
  }

  list(caller: Caller, listing: MergePolicyListing): Promise<MergePolicyPage> {
    return this.policies.list(caller, listing);
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
        throw new Conflict(builtInIsFixed('deleted'));
      case 'active-on-edge':
        throw new Conflict(`Merge policy ${JSON.stringify(id)} is active on edge and cannot be deleted (AEP's rule): set isActiveOnEdge to false first.`);
      case 'in-use':
        throw new Conflict(`Merge policy ${JSON.stringify(id)} is used by ${result.segmentCount} segment definition(s); delete those first.`);
    }
  }
}

/** The policy written, or the domain error that says why not. */
function saved(result: MergePolicyWrite, id: string): MergePolicy {
  switch (result.outcome) {
    case 'saved':
      return result.policy;
    case 'not-found':
      throw new NotFound(`Merge policy ${JSON.stringify(id)} does not exist.`);
    case 'built-in':
      throw new Conflict(builtInIsFixed('changed'));
    case 'edge-taken':
      throw new ValidationFailed([
        { path: 'isActiveOnEdge', message: 'another merge policy of this sandbox is active on edge (AEP allows one): set its isActiveOnEdge to false first' },
      ]);
  }
}

/** The fields of a body that mean nothing here: read-only ones, and `order` under timestampOrdered. */
function ignoredFields(dto: CreateMergePolicyDto): string[] {
  const ordered = dto.attributeMerge.type !== 'dataSetPrecedence' && dto.attributeMerge.order !== undefined;
  return [...sentFields(dto, READ_ONLY_POLICY_FIELDS), ...(ordered ? ['attributeMerge.order'] : [])];
}

/** Defaults made explicit; `order` is kept only where it means something (ignored under timestampOrdered). */
function normalize(dto: CreateMergePolicyDto): NewMergePolicy {
  return {
    name: dto.name,
    attributeMerge: dto.attributeMerge.type === 'dataSetPrecedence' ? { type: 'dataSetPrecedence', order: [...(dto.attributeMerge.order ?? [])] } : { type: 'timestampOrdered' },
    identityGraph: { type: dto.identityGraph.type },
    schema: { name: dto.schema?.name ?? PROFILE_SCHEMA_NAME },
    default: dto.default ?? false,
    isActiveOnEdge: dto.isActiveOnEdge ?? false,
  };
}
