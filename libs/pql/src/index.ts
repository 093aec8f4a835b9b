export * from './api';
import { type EvaluationClock, type Evaluator, type ParsedDefinition, type PqlFormat, type ProfileView, PqlError } from './api';

// PLACEHOLDERS, replaced by the PQL library's implementation (issue #10). The signatures are the
// contract other modules code against.
const notYet = (): never => {
  throw new PqlError('unsupported', 'PQL is not built yet at 0:0', 0, 0);
};

/** Parses and checks a definition's expression (`format` as in `expression.format`). Throws PqlError. */
export function parseDefinition(format: PqlFormat, value: string): ParsedDefinition {
  void format;
  void value;
  return notYet();
}

/** `POST /segment/conversion`: the same expression in the other format (throws PqlError). */
export function convertExpression(value: string, from: PqlFormat, to: PqlFormat): string {
  void [value, from, to];
  return notYet();
}

/**
 * Ids in an order where every definition comes after the ones it references (refs outside `defs`
 * are ignored: they are read from stored memberships). Throws PqlCycleError on a cycle.
 */
export function evaluationOrder(defs: ReadonlyArray<{ id: string; refs: readonly string[] }>): string[] {
  void defs;
  return notYet();
}

/** Compiles once per job; the evaluator is called once per profile. */
export function compile(def: ParsedDefinition, clock: EvaluationClock): Evaluator {
  void [def, clock];
  return notYet();
}

/** The deliberately naive reference interpreter (an AST walk), for differential tests only. */
export function interpret(def: ParsedDefinition, clock: EvaluationClock, view: ProfileView): boolean {
  void [def, clock, view];
  return notYet();
}
