/** Helpers for the PQL specs: evaluate with both the compiled evaluator and the interpreter. */
import type { EvaluationClock, ProfileView } from './api';
import { compile, interpret, parseDefinition } from './index';

export const NOW = Date.UTC(2024, 5, 15, 12, 0, 0); // Saturday 2024-06-15 12:00 UTC
export const CLOCK: EvaluationClock = { nowMs: NOW, zone: 'UTC' };

/** Both evaluators' answer; throws when they disagree, so every example is also a differential case. */
export function evalPql(pql: string, profile: Record<string, unknown>, events: Record<string, unknown>[] = [], clock: EvaluationClock = CLOCK): boolean {
  const def = parseDefinition('pql/text', pql);
  const view: ProfileView = { profile, events };
  const compiled = compile(def, clock)(view);
  const naive = interpret(def, clock, view);
  if (compiled !== naive) throw new Error(`compiled=${compiled} interpreted=${naive} for ${pql}`);
  return compiled;
}

/** The PqlError message parseDefinition throws (or 'no error'). */
export function refusal(pql: string): string {
  try {
    parseDefinition('pql/text', pql);
    return 'no error';
  } catch (err) {
    return `${(err as { kind?: string }).kind}: ${(err as Error).message}`;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
