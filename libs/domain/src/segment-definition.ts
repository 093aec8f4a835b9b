/** The profile store instance segments belong to; AEP has only "ups" for Real-Time Customer Profile. */
export const PROFILE_INSTANCE_ID = 'ups';

export const PQL_TEXT_FORMAT = 'pql/text';
export const PQL_JSON_FORMAT = 'pql/json';
export const PQL_FORMATS = [PQL_TEXT_FORMAT, PQL_JSON_FORMAT] as const;
export type PqlExpressionFormat = (typeof PQL_FORMATS)[number];

/** A PQL expression, stored and returned as given; checked by the PQL library when it is created. */
export interface SegmentExpression {
  type: 'PQL';
  format: PqlExpressionFormat;
  value: string;
}

/**
 * Fields of AEP's /audiences objects that clients also send on segment definitions. They mean
 * nothing to evaluation here: stored as given and echoed, in the order listed here.
 */
export const AUDIENCE_FIELDS = ['audienceId', 'type', 'labels', 'lifecycleState', 'originName', 'dependents', 'dependencies', 'definedOn'] as const;
export type AudienceFieldName = (typeof AUDIENCE_FIELDS)[number];
export type AudienceFields = Partial<Record<AudienceFieldName, unknown>>;

export const LIFECYCLE_STATES = ['draft', 'published', 'inactive', 'archived'] as const;

/**
 * AEP's evaluationInfo. Only batch evaluation is built (segment jobs, previews, exports with
 * evaluation), so every stored definition has exactly these flags; a request for streaming
 * (continuous) or edge (synchronous) evaluation is refused rather than stored and never honoured.
 */
export const EVALUATION_INFO = { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } } as const;
export type EvaluationKind = keyof typeof EVALUATION_INFO;

/** What a client asks for when it creates a segment definition, after validation and defaults. */
export interface NewSegmentDefinition {
  /** Client-chosen id (a uuid), e.g. to keep the ids that ingested memberships already use. */
  id?: string;
  name: string;
  description?: string;
  namespace: string;
  /** Omitted: the sandbox default policy at creation time. */
  mergePolicyId?: string;
  expression: SegmentExpression;
  schema: { name: string };
  ttlInDays?: number;
  payloadSchema?: string;
  /** Only the fields the client sent. */
  audience?: AudienceFields;
}

export interface SegmentDefinition extends NewSegmentDefinition {
  id: string;
  orgId: string;
  sandboxName: string;
  mergePolicyId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface SegmentDefinitionPage {
  definitions: SegmentDefinition[];
  totalCount: number;
}

/** Fields the definition list sorts on (AEP's `sort=attr:asc|desc`). */
export const SEGMENT_SORT_FIELDS = ['creationTime', 'updateTime', 'updateEpoch', 'name'] as const;
export type SegmentSortField = (typeof SEGMENT_SORT_FIELDS)[number];
export interface SegmentSortKey {
  field: SegmentSortField;
  direction: 'asc' | 'desc';
}
/** AEP's default order: newest first. */
export const DEFAULT_SEGMENT_SORT: SegmentSortKey[] = [{ field: 'creationTime', direction: 'desc' }];

/** One page of the list: `skip` definitions in the given order, then up to `limit`. */
export interface SegmentDefinitionListing {
  skip: number;
  limit: number;
  sort: SegmentSortKey[];
}

/** Segment definition ids are uuids (any version; the service makes v4). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** A definition is stored only with a merge policy of its own sandbox. */
export type SegmentDefinitionCreation = { outcome: 'created'; definition: SegmentDefinition } | { outcome: 'unknown-merge-policy' } | { outcome: 'id-taken' };

/**
 * PATCH /segment/definitions/{id}: AEP's whole-object overwrite. Everything but the id and the
 * creation time is replaced; an omitted mergePolicyId keeps the stored one (AEP's own PATCH
 * example omits it, and a silent change of policy would change the definition's members).
 */
export type SegmentDefinitionReplacement = Omit<NewSegmentDefinition, 'id'>;

export type SegmentDefinitionUpdate = { outcome: 'updated'; definition: SegmentDefinition } | { outcome: 'not-found' } | { outcome: 'unknown-merge-policy' };

/** The stored definitions of these ids (tenant-scoped), for reference checks made under a lock. */
export type DefinitionLookup = (ids: string[]) => Promise<SegmentDefinition[]>;
