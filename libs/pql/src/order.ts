import { PqlCycleError } from './api';

/**
 * Ids in an order where each definition follows the ones it references (refs outside `defs` are
 * read from stored memberships and ignored). Depth-first in input order, so the result is stable.
 */
export function dependencyOrder(defs: ReadonlyArray<{ id: string; refs: readonly string[] }>): string[] {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const state = new Map<string, 'active' | 'done'>();
  const out: string[] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'active') throw new PqlCycleError([...stack.slice(stack.indexOf(id)), id]);
    state.set(id, 'active');
    stack.push(id);
    for (const ref of byId.get(id)?.refs ?? []) if (byId.has(ref)) visit(ref);
    stack.pop();
    state.set(id, 'done');
    out.push(id);
  };
  for (const d of defs) visit(d.id);
  return out;
}
