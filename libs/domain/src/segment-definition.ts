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

/** Segment definition ids are uuids (any version; the service makes v4). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** A definition is stored only with a merge policy of its own sandbox. */
export type SegmentDefinitionCreation =
  | { outcome: 'created'; definition: SegmentDefinition }
  | { outcome: 'unknown-merge-policy' }
  | { outcome: 'id-taken' };
