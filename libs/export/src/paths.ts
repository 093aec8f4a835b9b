/**
 * AEP `fields` selections: comma-separated dot paths, parsed once per job into a tree and applied
 * per record without string work.
 */
import { type PlainObject, hasOwn, isPlainObject, setKey } from './plain-object';

/** The selected keys of one object level; a null subtree takes the key's whole value. */
export interface FieldTree {
  readonly keys: readonly string[];
  readonly subtrees: ReadonlyArray<FieldTree | null>;
}

type Draft = Map<string, Draft | null>;

/**
 * Parses `"identities.id, personalEmail.address"`. Whitespace around items and path segments is
 * ignored, and so are empty items and segments. Undefined means "keep everything" (blank input).
 * `a,a.b` keeps all of `a`; `a.b,a.c` selects both under one `a`.
 * Top-level keys in `omitTopLevel` are dropped (callers that add them by their own rule).
 */
export function parseFieldPaths(fields: string | undefined, omitTopLevel: readonly string[] = []): FieldTree | undefined {
  if (fields === undefined) return undefined;
  const root: Draft = new Map();
  let anyPath = false;
  for (const item of fields.split(',')) {
    const segments = item
      .split('.')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (segments.length === 0) continue;
    anyPath = true;
    if (omitTopLevel.includes(segments[0])) continue;
    addPath(root, segments);
  }
  // A selection of only omitted keys still selects: the row is then just what the caller adds.
  return anyPath ? freeze(root) : undefined;
}

function addPath(root: Draft, segments: string[]): void {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i];
    if (i === segments.length - 1) {
      node.set(key, null);
      return;
    }
    const next = node.get(key);
    if (next === null) return; // an ancestor is already selected whole
    if (next === undefined) {
      const child: Draft = new Map();
      node.set(key, child);
      node = child;
    } else {
      node = next;
    }
  }
}

function freeze(draft: Draft): FieldTree {
  const keys: string[] = [];
  const subtrees: Array<FieldTree | null> = [];
  for (const [key, sub] of draft) {
    keys.push(key);
    subtrees.push(sub === null ? null : freeze(sub));
  }
  return { keys, subtrees };
}

/**
 * The part of `src` the tree selects; undefined when none of it exists (no empty objects or nulls
 * are invented for missing paths). Selected values are shared with `src`, not copied.
 */
export function selectFields(src: PlainObject, tree: FieldTree): PlainObject | undefined {
  let out: PlainObject | undefined;
  const { keys, subtrees } = tree;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (!hasOwn(src, key)) continue;
    const value = src[key];
    if (value === undefined) continue;
    const sub = subtrees[i];
    const picked = sub === null ? value : selectValue(value, sub);
    if (picked === undefined) continue;
    if (out === undefined) out = {};
    setKey(out, key, picked);
  }
  return out;
}

/** What the tree selects under one value: mapped over an array, selected in an object, nothing under a scalar. */
export function selectValue(value: unknown, tree: FieldTree): unknown {
  if (Array.isArray(value)) return selectEach(value, tree);
  if (isPlainObject(value)) return selectFields(value, tree);
  return undefined; // a scalar where the path goes on: nothing is there
}

/**
 * Maps the rest of the path over an array's elements. An object element always yields an object
 * (`{}` when it lacks the path), so elements keep their positions as in a columnar projection;
 * scalars are dropped (the path does not end at them). An array left with nothing is absent.
 */
function selectEach(list: readonly unknown[], tree: FieldTree): unknown[] | undefined {
  let out: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const element = list[i];
    let picked: unknown;
    if (isPlainObject(element)) picked = selectFields(element, tree) ?? {};
    else if (Array.isArray(element)) picked = selectEach(element, tree);
    else continue;
    if (picked === undefined) continue;
    if (out === undefined) out = [];
    out.push(picked);
  }
  return out;
}
