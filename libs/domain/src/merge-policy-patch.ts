import { FieldProblem, ValidationFailed } from './errors';
import { ATTRIBUTE_MERGE_TYPES, IDENTITY_GRAPH_TYPES, IdentityGraphType, NewMergePolicy, PROFILE_SCHEMA_NAME } from './merge-policy';

/** One operation of PATCH /config/mergePolicies/{id} as sent; `at` names it in problems (`[0]`, or `` for a lone object). */
export interface MergePolicyPatchOperation {
  at: string;
  op: unknown;
  path: unknown;
  value: unknown;
}

/** The patched policy, and the read-only paths that were accepted but ignored (`/version`). */
export interface PatchedMergePolicy {
  policy: NewMergePolicy;
  ignored: string[];
}

// AEP's spec allows only "add"; on an object member JSON Patch's "replace" means the same.
const PATCH_OPS = ['add', 'replace'];
const PATCH_PATHS = '/name, /identityGraph.type, /attributeMerge.type, /schema.name, /version, /default, /isActiveOnEdge';

/**
 * Applies AEP's PATCH operations in order; all of them or none (a ValidationFailed names every bad
 * one). Paths use AEP's dot notation (`/identityGraph.type`); the JSON Pointer spelling
 * (`/identityGraph/type`) and the spec's misspelt `/idActiveOnEdge` name the same fields. Values
 * are strings in AEP's examples (`"true"`); JSON of the field's own type is taken too.
 */
export function applyMergePolicyPatch(current: NewMergePolicy, operations: MergePolicyPatchOperation[]): PatchedMergePolicy {
  const policy: NewMergePolicy = { ...current };
  const ignored: string[] = [];
  const problems: FieldProblem[] = [];
  for (const operation of operations) {
    const where = (field: string) => (operation.at ? `${operation.at}.${field}` : field);
    const problem = checkShape(operation) ?? patchField(policy, String(operation.path).replace(/^\//, '').replace(/\//g, '.'), operation.value, ignored);
    if (problem) problems.push({ path: where(problem.field), message: problem.message });
  }
  if (problems.length) throw new ValidationFailed(problems);
  return { policy, ignored };
}

type Problem = { field: 'op' | 'path' | 'value'; message: string } | undefined;

function checkShape(operation: MergePolicyPatchOperation): Problem {
  if (operation.op === undefined || operation.op === null) return { field: 'op', message: 'is required' };
  if (typeof operation.op !== 'string' || !PATCH_OPS.includes(operation.op.toLowerCase())) return { field: 'op', message: 'must be "add" or "replace"' };
  if (operation.path === undefined || operation.path === null) return { field: 'path', message: 'is required' };
  if (typeof operation.path !== 'string') return { field: 'path', message: 'must be a string' };
  if (operation.value === undefined || operation.value === null) return { field: 'value', message: 'is required' };
  return undefined;
}

function patchField(policy: NewMergePolicy, field: string, value: unknown, ignored: string[]): Problem {
  switch (field) {
    case 'name':
      if (typeof value !== 'string' || !/\S/.test(value) || value.length > 255) return { field: 'value', message: 'must be a non-empty name of at most 255 characters' };
      policy.name = value;
      return undefined;
    case 'identityGraph.type':
      if (!IDENTITY_GRAPH_TYPES.includes(value as IdentityGraphType)) return { field: 'value', message: `must be one of the following values: ${IDENTITY_GRAPH_TYPES.join(', ')}` };
      policy.identityGraph = { type: value as IdentityGraphType };
      return undefined;
    case 'attributeMerge.type':
      return patchAttributeMerge(policy, value);
    case 'schema.name':
      if (value !== PROFILE_SCHEMA_NAME) return { field: 'value', message: `must be "${PROFILE_SCHEMA_NAME}", the profile class this service merges` };
      return undefined;
    case 'version':
      // Read-only: the service counts versions itself (+1 per update).
      if (!/^\d+$/.test(String(value))) return { field: 'value', message: 'must be a whole number' };
      ignored.push('/version');
      return undefined;
    case 'default':
    case 'isActiveOnEdge':
    case 'idActiveOnEdge': {
      const flag = booleanOf(value);
      if (flag === undefined) return { field: 'value', message: 'must be "true" or "false"' };
      if (field === 'default') policy.default = flag;
      else policy.isActiveOnEdge = flag;
      return undefined;
    }
    default:
      return { field: 'path', message: `must be one of ${PATCH_PATHS}` };
  }
}

function patchAttributeMerge(policy: NewMergePolicy, value: unknown): Problem {
  if (value === 'timestampOrdered') {
    policy.attributeMerge = { type: 'timestampOrdered' };
    return undefined;
  }
  if (value === 'dataSetPrecedence') {
    // AEP documents no PATCH path for the order, and the type means nothing without one.
    if (policy.attributeMerge.type === 'dataSetPrecedence') return undefined;
    return { field: 'value', message: 'dataSetPrecedence needs attributeMerge.order, which PATCH cannot set: use PUT with the whole policy' };
  }
  return { field: 'value', message: `must be one of the following values: ${ATTRIBUTE_MERGE_TYPES.join(', ')}` };
}

function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}
