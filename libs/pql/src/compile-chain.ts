/**
 * `chain(xEvent, <ts field>, [steps])`: one step counts matching events (COUNT(n) = at least n);
 * several steps must match in strict time order of the named field. Events whose field is not a
 * timestamp never match a step. Greedy earliest completion is optimal for this ordered matching.
 */
import type { NodeOf } from './ast';
import type { Compiler } from './compile';
import { pathGetter } from './ops';
import { parseTimestamp } from './time';

interface Scope {
  readonly vars: ReadonlyMap<string, number>;
  readonly depth: number;
}

interface TsEntry {
  readonly len: number;
  readonly first: unknown;
  readonly last: unknown;
  readonly ts: Float64Array;
  sorted: Int32Array | null;
}

/** Parsed event timestamps per events array and field+zone: shared by every definition of a run. */
const TS_CACHE = new WeakMap<object, Map<string, TsEntry>>();

function timestamps(events: readonly unknown[], key: string, get: (v: unknown) => unknown, zone: string): TsEntry {
  let byKey = TS_CACHE.get(events);
  if (!byKey) {
    byKey = new Map();
    TS_CACHE.set(events, byKey);
  }
  const hit = byKey.get(key);
  const n = events.length;
  // A caller may reuse an array object: trust the cache only while it still looks the same.
  if (hit && hit.len === n && hit.first === events[0] && hit.last === events[n - 1]) return hit;
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = parseTimestamp(get(events[i]), zone) ?? NaN;
  const entry: TsEntry = { len: n, first: events[0], last: events[n - 1], ts, sorted: null };
  byKey.set(key, entry);
  return entry;
}

function sortedOrder(entry: TsEntry): Int32Array {
  if (!entry.sorted) {
    const idx: number[] = [];
    for (let i = 0; i < entry.ts.length; i++) if (!Number.isNaN(entry.ts[i])) idx.push(i);
    idx.sort((a, b) => entry.ts[a] - entry.ts[b] || a - b);
    entry.sorted = Int32Array.from(idx);
  }
  return entry.sorted;
}

export function compileChain(c: Compiler, e: NodeOf<'chain'>, sc: Scope): () => boolean {
  const zone = c.zone;
  const d = sc.depth + 1;
  const inner = { vars: sc.vars, depth: d };
  const get = pathGetter(e.tsPath);
  const key = `${e.tsPath.join('.')}\u0000${zone}`;
  const f = c.frames;
  const ctx = f.ctx;
  const steps = e.steps.map((s) => ({
    what: c.bool(s.what, inner),
    when: s.when ? c.occurs(s.when, inner) : null,
    need: s.count,
  }));

  if (steps.length === 1) {
    const { what, when, need } = steps[0];
    if (need === 0) return () => true;
    return () => {
      const events = f.events;
      if (events.length === 0) return false;
      const ts = timestamps(events, key, get, zone).ts;
      let n = 0;
      for (let i = 0; i < events.length; i++) {
        const t = ts[i];
        if (Number.isNaN(t)) continue;
        ctx[d] = events[i];
        if (when !== null && !when(t)) continue;
        if (what() && ++n >= need) return true;
      }
      return false;
    };
  }

  return () => {
    const events = f.events;
    const entry = timestamps(events, key, get, zone);
    const order = sortedOrder(entry);
    const ts = entry.ts;
    let pos = 0;
    let lastTs = -Infinity;
    for (let s = 0; s < steps.length; s++) {
      const { what, when, need } = steps[s];
      let n = 0;
      let done = need === 0;
      while (!done && pos < order.length) {
        const i = order[pos++];
        const t = ts[i];
        if (t <= lastTs) continue;
        ctx[d] = events[i];
        if (when !== null && !when(t)) continue;
        if (what() && ++n >= need) {
          done = true;
          lastTs = t;
        }
      }
      if (!done) return false;
    }
    return true;
  };
}
