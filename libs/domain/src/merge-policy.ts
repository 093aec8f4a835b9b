import { DEFAULT_MERGE_POLICY_ID } from './export-job';
import type { TenantScope } from './tenant';

/**
 * The one XDM class whose records this service merges into profiles; merge policies and segment
 * definitions apply to it (AEP scopes both to a schema class).
 */
export const PROFILE_SCHEMA_NAME = '_xdm.context.profile';

export const ATTRIBUTE_MERGE_TYPES = ['timestampOrdered', 'dataSetPrecedence'] as const;
export type AttributeMergeType = (typeof ATTRIBUTE_MERGE_TYPES)[number];

export const IDENTITY_GRAPH_TYPES = ['none', 'pdg'] as const;
export type IdentityGraphType = (typeof IDENTITY_GRAPH_TYPES)[number];

/** How conflicting attributes are decided; `order` (dataset ids, first wins) only for dataSetPrecedence. */
export type AttributeMerge = { type: 'timestampOrdered' } | { type: 'dataSetPrecedence'; order: string[] };

/** What a client asks for when it creates a merge policy, after validation and defaults. */
export interface NewMergePolicy {
  name: string;
  attributeMerge: AttributeMerge;
  identityGraph: { type: IdentityGraphType };
  schema: { name: string };
  /** Makes this policy the sandbox default (clearing any other stored default). */
  default: boolean;
  /** AEP's flag for edge segmentation (not built here): stored, echoed, at most one per sandbox. */
  isActiveOnEdge: boolean;
}

export interface MergePolicy extends NewMergePolicy {
  id: string;
  orgId: string;
  sandboxName: string;
  version: number;
  /** The built-in `timestampOrdered-none-mp`: not stored, cannot be deleted. */
  builtIn: boolean;
  updatedAt: Date;
}

export const BUILT_IN_MERGE_POLICY_ID = DEFAULT_MERGE_POLICY_ID;

// The built-in policy never changes and has no row, so its update time is a fixed instant rather
// than "now" (which would make every read look like a change).
const BUILT_IN_UPDATED_AT = new Date('2019-01-01T00:00:00Z');

/** The policy every sandbox has without anyone creating it. It is the default unless a stored one is. */
export function builtInMergePolicy(scope: TenantScope, isDefault: boolean): MergePolicy {
  return {
    id: BUILT_IN_MERGE_POLICY_ID,
    orgId: scope.orgId,
    sandboxName: scope.sandboxName,
    name: 'Timestamp ordered, no identity graph',
    version: 1,
    attributeMerge: { type: 'timestampOrdered' },
    identityGraph: { type: 'none' },
    schema: { name: PROFILE_SCHEMA_NAME },
    default: isDefault,
    isActiveOnEdge: false,
    builtIn: true,
    updatedAt: BUILT_IN_UPDATED_AT,
  };
}

/** Filters of GET /config/mergePolicies (AEP's query parameters); absent ones do not filter. */
export interface MergePolicyFilter {
  default?: boolean;
  isActiveOnEdge?: boolean;
  schemaName?: string;
  identityGraphType?: IdentityGraphType;
  attributeMergeType?: AttributeMergeType;
  version?: number;
}

/** One offset page of the filtered list (built-in included), ordered by name: AEP's default is ascending. */
export interface MergePolicyListing {
  start: number;
  limit: number;
  nameOrder: 'asc' | 'desc';
  filter: MergePolicyFilter;
}

export interface MergePolicyPage {
  policies: MergePolicy[];
  /** Number of policies in the sandbox, the built-in included. */
  totalCount: number;
}

/** What DELETE did, or why it did not: the built-in, policies segments use and the edge-active one stay. */
export type MergePolicyDeletion =
  { outcome: 'deleted' } | { outcome: 'not-found' } | { outcome: 'built-in' } | { outcome: 'active-on-edge' } | { outcome: 'in-use'; segmentCount: number };

/** What a create, PUT or PATCH did. `edge-taken`: another policy of the sandbox is active on edge. */
export type MergePolicyWrite = { outcome: 'saved'; policy: MergePolicy } | { outcome: 'not-found' } | { outcome: 'built-in' } | { outcome: 'edge-taken' };
