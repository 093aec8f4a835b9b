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
    builtIn: true,
    updatedAt: BUILT_IN_UPDATED_AT,
  };
}

/** Which part of the list `[built-in, ...stored policies]` an offset page covers. */
export interface MergePolicyWindow {
  builtIn: boolean;
  /** Stored policies to skip and take, in their list order. */
  skip: number;
  take: number;
}

/** `start` is the offset into the whole list, whose first entry is the built-in policy. */
export function mergePolicyWindow(start: number, limit: number): MergePolicyWindow {
  if (start === 0) return { builtIn: true, skip: 0, take: Math.max(limit - 1, 0) };
  return { builtIn: false, skip: start - 1, take: limit };
}

export interface MergePolicyPage {
  policies: MergePolicy[];
  /** Number of policies in the sandbox, the built-in included. */
  totalCount: number;
}

/** What DELETE did, or why it did not: the built-in and policies segments use stay. */
export type MergePolicyDeletion =
  | { outcome: 'deleted' }
  | { outcome: 'not-found' }
  | { outcome: 'built-in' }
  | { outcome: 'in-use'; segmentCount: number };
