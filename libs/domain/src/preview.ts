import type { IdentityGraphType } from './merge-policy';
import type { TenantScope } from './tenant';

/** AEP's preview states; an estimate has the same id and the same state. */
export const PREVIEW_STATES = ['NEW', 'RUNNING', 'RESULT_READY', 'FAILED'] as const;
export type PreviewState = (typeof PREVIEW_STATES)[number];

/** What POST /preview asks for, after validation and defaults. */
export interface NewPreview {
  expression: string;
  predicateModel: string;
  graphType: IdentityGraphType;
  mergePolicyId: string;
}

export interface Preview extends NewPreview, TenantScope {
  /** previewQueryId (a uuid); the opaque previewId encodes it. */
  id: string;
  state: PreviewState;
  attempts: number;
  /** Profiles the store holds for this policy when the run started (numRowsToRead, totalRows). */
  totalRows: number;
  profilesRead: number;
  profilesMatched: number;
  /** Matching profiles per identity namespace (a profile counts once in each namespace it has). */
  namespaceDistribution: Record<string, number>;
  error?: string;
  createdAt: Date;
  expiresAt: Date;
}

/** One matching profile: its key identity (`ns:id`) and its other identities, for GET /preview. */
export interface PreviewMatch {
  entityId: string;
  identities: string[];
}

/**
 * The opaque `previewId` AEP hands out (base64 of `0:app-<uuid>:<queryId>:0` in its examples).
 * Here: base64url of `0:<previewQueryId>:0`, so the id is self-describing and never guessable
 * into another tenant (the query id is a random uuid and every read is scoped to the tenant).
 */
export function encodePreviewId(queryId: string): string {
  return Buffer.from(`0:${queryId}:0`, 'utf8').toString('base64url');
}

/** The previewQueryId inside a previewId; null for anything this service did not make. */
export function decodePreviewId(previewId: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}={0,2}$/.test(previewId)) return null;
  const m = /^0:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):0$/.exec(Buffer.from(previewId, 'base64url').toString('utf8'));
  return m ? m[1] : null;
}
