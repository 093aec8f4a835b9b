import { FieldProblem, ValidationFailed } from '@sx/domain';

/**
 * RFC 6902 JSON Patch over a plain JSON document (AEP's dataset PATCH with
 * `application/json-patch+json`, e.g. `[{"op": "add", "path": "/tags/unifiedProfile", "value": ["enabled:true"]}]`).
 * The document is copied, never changed in place; a bad operation is a 400 naming `[i].path` etc.
 */
type Json = unknown;
type Container = Record<string, Json> | Json[];

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const OP_KEYS = new Set(['op', 'path', 'value', 'from']);

function fail(path: string, message: string): never {
  throw new ValidationFailed([{ path, message }]);
}

/** `/a/b~1c/0` as tokens `a`, `b/c`, `0`. */
export function parsePointer(pointer: string, at: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) fail(at, `"${pointer}" is not a JSON pointer (it starts with /)`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isContainer = (v: Json): v is Container => typeof v === 'object' && v !== null;
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function arrayIndex(arr: Json[], token: string, at: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) fail(at, `"${token}" is not an array index`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) fail(at, `index ${i} is out of range`);
  return i;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Json, tokens: string[], at: string): { parent: Container; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, at, false)];
    else if (isContainer(cur) && own(cur, t)) cur = (cur as Record<string, Json>)[t];
    else fail(at, `/${tokens.join('/')} does not exist`);
  }
  if (!isContainer(cur)) fail(at, `/${tokens.join('/')} does not exist`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function get(doc: Json, tokens: string[], at: string): Json {
  if (!tokens.length) return doc;
  const { parent, key } = parentOf(doc, tokens, at);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, at, false)];
  if (!own(parent, key)) fail(at, `/${tokens.join('/')} does not exist`);
  return parent[key];
}

function add(doc: Json, tokens: string[], value: Json, at: string): Json {
  if (!tokens.length) return value;
  const { parent, key } = parentOf(doc, tokens, at);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, at, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: Json, tokens: string[], at: string): Json {
  if (!tokens.length) fail(at, 'cannot remove the whole document');
  const { parent, key } = parentOf(doc, tokens, at);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, at, false), 1);
  else if (own(parent, key)) delete parent[key];
  else fail(at, `/${tokens.join('/')} does not exist`);
  return doc;
}

/** In place, so that an object keeps its key order. */
function replace(doc: Json, tokens: string[], value: Json, at: string): Json {
  if (!tokens.length) return value;
  get(doc, tokens, at);
  const { parent, key } = parentOf(doc, tokens, at);
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, at, false)] = value;
  else parent[key] = value;
  return doc;
}

const clone = (v: Json): Json => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const same = (a: Json, b: Json) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isContainer(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, Json>)[k])]),
    );
  return v;
}

/** Checks the shape of each operation: problems name `[i].op`, `[i].path`, `[i].from`, `[i].value`. */
function checkOperation(op: Json, i: number): FieldProblem[] {
  const at = `[${i}]`;
  if (!isContainer(op) || Array.isArray(op)) return [{ path: at, message: 'must be an operation object ({op, path, value})' }];
  const o = op;
  const problems: FieldProblem[] = Object.keys(o)
    .filter((k) => !OP_KEYS.has(k))
    .map((k) => ({ path: `${at}.${k}`, message: 'is not a known property' }));
  if (typeof o.op !== 'string' || !OPS.has(o.op.toLowerCase())) problems.push({ path: `${at}.op`, message: 'must be one of add, remove, replace, move, copy, test' });
  if (typeof o.path !== 'string') problems.push({ path: `${at}.path`, message: 'must be a JSON pointer such as /name' });
  const op2 = typeof o.op === 'string' ? o.op.toLowerCase() : '';
  if ((op2 === 'move' || op2 === 'copy') && typeof o.from !== 'string') problems.push({ path: `${at}.from`, message: 'must be a JSON pointer' });
  if ((op2 === 'add' || op2 === 'replace' || op2 === 'test') && !own(o, 'value')) problems.push({ path: `${at}.value`, message: 'is required' });
  return problems;
}

/** The patched copy of `doc`. `guard(tokens, at)` may refuse a path (e.g. a read-only field). */
export function applyJsonPatch(doc: Json, patch: Json, guard?: (tokens: string[], at: string) => void): Json {
  const ops = Array.isArray(patch) ? patch : [patch];
  const problems = ops.flatMap((op, i) => checkOperation(op, i));
  if (problems.length) throw new ValidationFailed(problems);
  let out = clone(doc);
  ops.forEach((raw, i) => {
    const o = raw as { op: string; path: string; from?: string; value?: Json };
    const at = `[${i}].path`;
    const tokens = parsePointer(o.path, at);
    guard?.(tokens, at);
    switch (o.op.toLowerCase()) {
      case 'add':
        out = add(out, tokens, clone(o.value), at);
        break;
      case 'remove':
        out = remove(out, tokens, at);
        break;
      case 'replace':
        out = replace(out, tokens, clone(o.value), at);
        break;
      case 'test':
        if (!same(get(out, tokens, at), o.value)) fail(at, `test failed: ${o.path} is not the given value`);
        break;
      default: {
        const fromAt = `[${i}].from`;
        const from = parsePointer(o.from!, fromAt);
        if (o.op.toLowerCase() === 'move') guard?.(from, fromAt);
        const value = clone(get(out, from, fromAt));
        if (o.op.toLowerCase() === 'move') out = remove(out, from, fromAt);
        out = add(out, tokens, value, at);
      }
    }
  });
  return out;
}
