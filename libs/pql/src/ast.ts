/**
 * The library's internal tree. Both front ends (pql/text via parser.ts, pql/json via pql-json.ts)
 * produce it; check.ts validates it; compile.ts and interpret.ts evaluate it.
 */

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export type CmpOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type Unit = 'millisecond' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year' | 'decade' | 'century' | 'millennium';
export type AggFn = 'sum' | 'count' | 'average' | 'min' | 'max';

/** A time reference of `occurs` (and of a comparison with a calendar word): an interval [start, end). */
export type TimeRef =
  | { readonly k: 'timeWord'; readonly word: 'now' | 'today' | 'yesterday' | 'tomorrow'; readonly pos: Pos }
  | { readonly k: 'calUnit'; readonly which: 'this' | 'last' | 'next'; readonly unit: Unit; readonly pos: Pos }
  | { readonly k: 'date'; readonly y: number; readonly m: number; readonly d: number; readonly pos: Pos }
  /** A timestamp value read from the profile or an event: an instant. */
  | { readonly k: 'instant'; readonly expr: Expr; readonly pos: Pos };

export type OccursForm =
  | { readonly f: 'on'; readonly t: TimeRef }
  | { readonly f: 'before' | 'after' | 'from'; readonly t: TimeRef }
  | { readonly f: 'between'; readonly a: TimeRef; readonly b: TimeRef }
  | {
      readonly f: 'window';
      readonly op: CmpOp;
      readonly n: number;
      readonly unit: Unit;
      readonly dir: 'before' | 'after' | 'from';
      readonly t: TimeRef;
    };

/** One binding of `exists`/`forall`/`select`/`... over`: `V from SRC where COND`. */
export interface Binding {
  readonly name: string;
  readonly src: Expr;
  readonly cond: Expr | null;
  readonly pos: Pos;
}

export interface ChainStep {
  readonly label: string;
  readonly what: Expr;
  readonly when: OccursForm | null;
  readonly count: number;
  readonly pos: Pos;
}

export type Expr =
  | { readonly k: 'str'; readonly v: string; readonly pos: Pos }
  | { readonly k: 'num'; readonly v: number; readonly int: boolean; readonly pos: Pos }
  | { readonly k: 'bool'; readonly v: boolean; readonly pos: Pos }
  | { readonly k: 'array'; readonly items: readonly Expr[]; readonly pos: Pos }
  /** A calendar word or date(...) used as a value (compared with a timestamp). */
  | { readonly k: 'time'; readonly t: TimeRef; readonly pos: Pos }
  /** A bare identifier: a variable, `xEvent`, or a field of the current context. */
  | { readonly k: 'ident'; readonly name: string; readonly pos: Pos }
  /** `^`, `^^`...: the context `levels` filter levels up. */
  | { readonly k: 'up'; readonly levels: number; readonly pos: Pos }
  /** `$1`: the first positional input, i.e. the profile. */
  | { readonly k: 'param'; readonly n: number; readonly pos: Pos }
  | { readonly k: 'field'; readonly obj: Expr; readonly name: string; readonly pos: Pos }
  /** `obj.name(args)` when obj is set, `name(args)` otherwise. */
  | { readonly k: 'call'; readonly obj: Expr | null; readonly name: string; readonly args: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'filter'; readonly obj: Expr; readonly cond: Expr; readonly pos: Pos }
  | { readonly k: 'not'; readonly e: Expr; readonly pos: Pos }
  | { readonly k: 'and' | 'or'; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'cmp'; readonly op: CmpOp; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'in' | 'notIn'; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'like'; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'arith'; readonly op: ArithOp; readonly l: Expr; readonly r: Expr; readonly pos: Pos }
  | { readonly k: 'neg'; readonly e: Expr; readonly pos: Pos }
  | { readonly k: 'occurs'; readonly subject: Expr; readonly form: OccursForm; readonly pos: Pos }
  | { readonly k: 'select'; readonly bind: Binding; readonly pos: Pos }
  | { readonly k: 'exists' | 'forall'; readonly binds: readonly Binding[]; readonly pos: Pos }
  | { readonly k: 'agg'; readonly fn: AggFn; readonly value: Expr; readonly bind: Binding; readonly pos: Pos }
  | { readonly k: 'chain'; readonly events: Expr; readonly tsPath: readonly string[]; readonly steps: readonly ChainStep[]; readonly pos: Pos }
  | { readonly k: 'let'; readonly name: string; readonly value: Expr; readonly body: Expr; readonly pos: Pos }
  /** `(Profile) => body`: `param` names the profile inside body. */
  | { readonly k: 'lambda'; readonly param: string; readonly body: Expr; readonly pos: Pos };

export type ExprKind = Expr['k'];
type PickNode<T, K> = T extends { k: infer TK } ? (K extends TK ? T : never) : never;
export type NodeOf<K extends ExprKind> = PickNode<Expr, K>;

export const UNIT_WORDS: Readonly<Record<string, Unit>> = {
  millisecond: 'millisecond',
  milliseconds: 'millisecond',
  second: 'second',
  seconds: 'second',
  minute: 'minute',
  minutes: 'minute',
  hour: 'hour',
  hours: 'hour',
  day: 'day',
  days: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
  year: 'year',
  years: 'year',
  decade: 'decade',
  decades: 'decade',
  century: 'century',
  centuries: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
};
