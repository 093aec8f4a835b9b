/** The tree as PQL text (fully parenthesised where precedence could matter); parses back to the same tree. */
import type { Binding, Expr, OccursForm, TimeRef } from './ast';

const str = (s: string): string => JSON.stringify(s);

function time(t: TimeRef): string {
  switch (t.k) {
    case 'timeWord':
      return t.word;
    case 'calUnit':
      return `${t.which} ${t.unit}`;
    case 'date':
      return `date(${t.y}, ${t.m}, ${t.d})`;
    case 'instant':
      return printPql(t.expr);
  }
}

export function printOccurs(f: OccursForm): string {
  switch (f.f) {
    case 'on':
      return time(f.t);
    case 'before':
    case 'after':
    case 'from':
      return `${f.f} ${time(f.t)}`;
    case 'between':
      return `between ${time(f.a)} and ${time(f.b)}`;
    case 'window':
      return `${f.op} ${f.n} ${f.unit}s ${f.dir} ${time(f.t)}`;
  }
}

const bind = (b: Binding): string => `${b.name} from ${printPql(b.src)}${b.cond ? ` where (${printPql(b.cond)})` : ''}`;

export function printPql(e: Expr): string {
  switch (e.k) {
    case 'str':
      return str(e.v);
    case 'num':
      return e.int || !Number.isInteger(e.v) ? String(e.v) : e.v.toFixed(1);
    case 'bool':
      return String(e.v);
    case 'array':
      return `[${e.items.map(printPql).join(', ')}]`;
    case 'time':
      return time(e.t);
    case 'ident':
      return e.name;
    case 'up':
      return '^'.repeat(e.levels);
    case 'param':
      return `$${e.n}`;
    case 'field':
      return e.obj.k === 'up' ? `${printPql(e.obj)}.${e.name}` : `${postfixBase(e.obj)}.${e.name}`;
    case 'call':
      return `${e.obj ? postfixBase(e.obj) + '.' : ''}${e.name}(${e.args.map(printPql).join(', ')})`;
    case 'filter':
      return `${postfixBase(e.obj)}[${printPql(e.cond)}]`;
    case 'not':
      return `not (${printPql(e.e)})`;
    case 'and':
    case 'or':
      return `(${printPql(e.l)}) ${e.k} (${printPql(e.r)})`;
    case 'cmp':
      return `(${printPql(e.l)}) ${e.op} (${printPql(e.r)})`;
    case 'in':
    case 'notIn':
    case 'like':
      return `(${printPql(e.l)}) ${e.k} (${printPql(e.r)})`;
    case 'arith':
      return `(${printPql(e.l)}) ${e.op} (${printPql(e.r)})`;
    case 'neg':
      return `-(${printPql(e.e)})`;
    case 'occurs':
      return `(${printPql(e.subject)}) occurs ${printOccurs(e.form)}`;
    case 'select':
      return `(select ${bind(e.bind)})`;
    case 'exists':
    case 'forall':
      return `(${e.k} ${e.binds.map(bind).join(', ')})`;
    case 'agg':
      return `(${e.fn} (${printPql(e.value)}) over ${bind(e.bind)})`;
    case 'chain':
      return `chain(${printPql(e.events)}, ${e.tsPath.join('.')}, [${e.steps
        .map((s) => `${s.label}: WHAT(${printPql(s.what)})${s.when ? ` WHEN(${printOccurs(s.when)})` : ''}${s.count !== 1 ? ` COUNT(${s.count})` : ''}`)
        .join(', ')}])`;
    case 'let':
      return `(let ${e.name} = (${printPql(e.value)}) in (${printPql(e.body)}))`;
    case 'lambda':
      return `(${e.param}) => ${printPql(e.body)}`;
  }
}

/** A receiver of `.x`, `.f()`, `[c]`: bare when it is already a postfix chain, else parenthesised. */
function postfixBase(e: Expr): string {
  const bare = e.k === 'ident' || e.k === 'field' || e.k === 'call' || e.k === 'filter' || e.k === 'param' || e.k === 'str' || e.k === 'array' || e.k === 'chain';
  return bare ? printPql(e) : `(${printPql(e)})`;
}
