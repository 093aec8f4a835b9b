/**
 * The contract between the PQL library and the rest of the service (segment jobs, previews,
 * exports with evaluation, the definitions API). Pure: no framework, no Prisma, no I/O.
 *
 * Callers only ever see these types; the AST inside a ParsedDefinition is the library's own.
 */

/** The two formats a definition's `expression.format` may name. */
export type PqlFormat = 'pql/text' | 'pql/json';

/**
 * Why a definition cannot be used: a syntax error, a construct the evaluator does not build, or
 * a check that failed (a literal of the wrong type, an unknown function). `message` is what the API
 * shows under `{path: "expression.value", message}`, and always ends with the position, e.g.
 * `unsupported construct 'forall' at 1:17` or `expected ')' but found 'and' at 2:4`.
 */
export class PqlError extends Error {
  constructor(
    readonly kind: 'syntax' | 'unsupported' | 'invalid',
    message: string,
    /** 1-based; 0 when the error has no position (pql/json without positions). */
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'PqlError';
  }
}

/** A cycle among definitions' `inSegment` references; `ids` is the cycle in order (first repeated last). */
export class PqlCycleError extends Error {
  constructor(readonly ids: readonly string[]) {
    super(`segment definitions reference each other in a cycle: ${ids.join(' -> ')}`);
    this.name = 'PqlCycleError';
  }
}

/** What parsing and checking a definition gives; hand it back to compile(). */
export interface ParsedDefinition {
  /** Opaque to callers. */
  readonly ast: unknown;
  /**
   * Segment ids (namespace `ups`) the expression reads: `inSegment("id")` and
   * `segmentMembership.get("ups").get("id")`; deduplicated, in order of first appearance.
   */
  readonly segmentRefs: readonly string[];
  /** Whether it reads `xEvent` (so the caller must load the profile's events). */
  readonly usesEvents: boolean;
}

/** One evaluation run's time: one `now` for every profile (PQL.md 2.2), and the zone of calendar words. */
export interface EvaluationClock {
  /** epoch ms */
  readonly nowMs: number;
  /** IANA zone of `today`, `date(...)`, `this month`, `getMonth()`...; 'UTC' by default. */
  readonly zone: string;
}

/** What an expression sees of one profile. Read-only: evaluators never write to it. */
export interface ProfileView {
  /**
   * The merged profile record (identityMap, attributes, and `segmentMembership` as
   * `{ups: {<id>: {status, lastQualificationTime}}}`). `inSegment(id)` and
   * `segmentMembership.get(...)` read this object: a caller evaluating a chain of definitions
   * puts the fresh result of each one in it before evaluating the definitions that name it.
   */
  readonly profile: Readonly<Record<string, unknown>>;
  /** The profile's experience events (`xEvent`), parsed records, in ingest order. */
  readonly events: readonly Readonly<Record<string, unknown>>[];
}

/** A compiled definition: decides for one profile. Made once per job, called once per profile. */
export type Evaluator = (view: ProfileView) => boolean;
