export * from './api';
import type { EvaluationClock, Evaluator, ParsedDefinition, PqlFormat, ProfileView } from './api';
import { PqlError } from './api';
import type { Expr } from './ast';
import { checkTree } from './check';
import { compileTree } from './compile';
import { interpretTree } from './interpret';
import { dependencyOrder } from './order';
import { parsePql } from './parser';
import { fromPqlJson, toPqlJson } from './pql-json';
import { printPql } from './print';

function parseTree(format: PqlFormat, value: string): Expr {
  if (format === 'pql/text') return parsePql(value);
  if (format === 'pql/json') return fromPqlJson(value);
  throw new PqlError('invalid', `unknown expression format '${String(format)}' at 0:0`, 0, 0);
}

/** Parses and checks a definition's expression (`format` as in `expression.format`). Throws PqlError. */
export function parseDefinition(format: PqlFormat, value: string): ParsedDefinition {
  const ast = parseTree(format, value);
  const { segmentRefs, usesEvents } = checkTree(ast);
  return { ast, segmentRefs, usesEvents };
}

/** `POST /segment/conversion`: the same expression in the other format (throws PqlError). */
export function convertExpression(value: string, from: PqlFormat, to: PqlFormat): string {
  const ast = parseTree(from, value);
  checkTree(ast);
  return to === 'pql/json' ? JSON.stringify(toPqlJson(ast)) : printPql(ast);
}

/**
 * Ids in an order where every definition comes after the ones it references (refs outside `defs`
 * are ignored: they are read from stored memberships). Throws PqlCycleError on a cycle.
 */
export function evaluationOrder(defs: ReadonlyArray<{ id: string; refs: readonly string[] }>): string[] {
  return dependencyOrder(defs);
}

/** Compiles once per job; the evaluator is called once per profile. */
export function compile(def: ParsedDefinition, clock: EvaluationClock): Evaluator {
  return compileTree(def.ast as Expr, clock);
}

/** The deliberately naive reference interpreter (an AST walk), for differential tests only. */
export function interpret(def: ParsedDefinition, clock: EvaluationClock, view: ProfileView): boolean {
  return interpretTree(def.ast as Expr, clock, view);
}
