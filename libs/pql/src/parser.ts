import type { AggFn, Binding, ChainStep, CmpOp, Expr, OccursForm, Pos, TimeRef } from './ast';
import { UNIT_WORDS } from './ast';
import { invalid, syntaxError, tokenize, unsupported, type Token } from './lexer';
import { canonicalName } from './names';

const CMP_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const AGG_WORDS = new Set(['sum', 'count', 'average', 'min', 'max']);
const TIME_WORDS = new Set(['now', 'today', 'yesterday', 'tomorrow']);
const CAL_WORDS = new Set(['this', 'last', 'next']);
const DIR_WORDS = new Set(['before', 'after', 'from']);

const describe = (t: Token): string => {
  if (t.type === 'eof') return 'end of input';
  if (t.type === 'str') return JSON.stringify(t.text);
  if (t.type === 'param') return `$${t.text}`;
  return `'${t.text}'`;
};

/** Parses PQL text into the internal tree (grammar: PQL.md 1.2). Throws PqlError. */
export function parsePql(src: string): Expr {
  return new Parser(tokenize(src)).query();
}

class Parser {
  private p = 0;
  /** >0 while parsing `let X = <value>`: `in` then ends the value instead of meaning membership. */
  private noIn = 0;

  constructor(private readonly toks: Token[]) {}

  private get t(): Token {
    return this.toks[this.p];
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.p + n, this.toks.length - 1)];
  }
  private isPunct(text: string, tok = this.t): boolean {
    return tok.type === 'punct' && tok.text === text;
  }
  private isWord(word: string, tok = this.t): boolean {
    return tok.type === 'ident' && tok.lower === word;
  }
  private next(): Token {
    const tok = this.t;
    if (tok.type !== 'eof') this.p++;
    return tok;
  }
  private fail(what: string): never {
    throw syntaxError(`expected ${what} but found ${describe(this.t)}`, this.t.pos);
  }
  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) this.fail(`'${text}'`);
    return this.next();
  }
  private expectWord(word: string): Token {
    if (!this.isWord(word)) this.fail(`'${word}'`);
    return this.next();
  }
  private ident(what = 'a name'): Token {
    if (this.t.type !== 'ident') this.fail(what);
    return this.next();
  }
  private uint(what: string): number {
    const tok = this.t;
    if (tok.type !== 'num' || !tok.int) {
      if (this.isPunct('-') && this.peek().type === 'num') throw invalid(`${what} must be a non-negative integer`, tok.pos);
      this.fail(`${what} (a non-negative integer)`);
    }
    this.next();
    return Number(tok.text);
  }

  query(): Expr {
    let e: Expr;
    if (this.isLambdaHead()) {
      const pos = this.next().pos;
      const params = [this.ident('a parameter name')];
      while (this.isPunct(',')) {
        this.next();
        params.push(this.ident('a parameter name'));
      }
      this.expectPunct(')');
      this.expectPunct('=>');
      if (params.length > 1) throw unsupported('lambda with several parameters', params[1].pos);
      e = { k: 'lambda', param: params[0].text, body: this.expr(), pos };
    } else e = this.expr();
    if (this.t.type !== 'eof') throw syntaxError(`unexpected ${describe(this.t)}`, this.t.pos);
    return e;
  }

  /** `( ident {, ident} ) =>` at the cursor. */
  private isLambdaHead(): boolean {
    if (!this.isPunct('(')) return false;
    let k = 1;
    for (;;) {
      if (this.peek(k).type !== 'ident') return false;
      k++;
      if (this.isPunct(')', this.peek(k))) return this.isPunct('=>', this.peek(k + 1));
      if (!this.isPunct(',', this.peek(k))) return false;
      k++;
    }
  }

  expr(): Expr {
    if (this.isWord('let') && this.peek().type === 'ident') {
      const pos = this.next().pos;
      const name = this.ident('a variable name').text;
      this.expectPunct('=');
      this.noIn++;
      let value: Expr;
      try {
        value = this.expr();
      } finally {
        this.noIn--;
      }
      this.expectWord('in');
      // The body is outside the value: `in` means membership again.
      const saved = this.noIn;
      this.noIn = 0;
      try {
        return { k: 'let', name, value, body: this.expr(), pos };
      } finally {
        this.noIn = saved;
      }
    }
    return this.or();
  }

  private or(): Expr {
    let l = this.and();
    while (this.isWord('or')) {
      const pos = this.next().pos;
      l = { k: 'or', l, r: this.and(), pos };
    }
    return l;
  }

  private and(): Expr {
    let l = this.not();
    while (this.isWord('and')) {
      const pos = this.next().pos;
      l = { k: 'and', l, r: this.not(), pos };
    }
    return l;
  }

  private not(): Expr {
    if (this.isWord('not') || this.isPunct('!')) {
      const pos = this.next().pos;
      return { k: 'not', e: this.not(), pos };
    }
    return this.pred();
  }

  private pred(): Expr {
    const l = this.sum();
    const tok = this.t;
    if (tok.type === 'punct' && CMP_OPS.has(tok.text)) {
      this.next();
      return { k: 'cmp', op: tok.text as CmpOp, l, r: this.sum(), pos: tok.pos };
    }
    if (this.isWord('in') && this.noIn === 0) {
      this.next();
      return { k: 'in', l, r: this.sum(), pos: tok.pos };
    }
    if (this.isWord('notin')) {
      this.next();
      return { k: 'notIn', l, r: this.sum(), pos: tok.pos };
    }
    if (this.isWord('like')) {
      this.next();
      return { k: 'like', l, r: this.sum(), pos: tok.pos };
    }
    if (this.isWord('occurs')) {
      this.next();
      return { k: 'occurs', subject: l, form: this.occursBody(), pos: tok.pos };
    }
    return l;
  }

  private sum(): Expr {
    let l = this.prod();
    while (this.isPunct('+') || this.isPunct('-')) {
      const tok = this.next();
      l = { k: 'arith', op: tok.text as '+' | '-', l, r: this.prod(), pos: tok.pos };
    }
    return l;
  }

  private prod(): Expr {
    let l = this.unary();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
      const tok = this.next();
      l = { k: 'arith', op: tok.text as '*' | '/' | '%', l, r: this.unary(), pos: tok.pos };
    }
    return l;
  }

  private unary(): Expr {
    if (this.isPunct('-')) {
      const pos = this.next().pos;
      const num = this.t;
      if (num.type === 'num') {
        this.next();
        return this.postfix({ k: 'num', v: -Number(num.text), int: !!num.int, pos });
      }
      return { k: 'neg', e: this.unary(), pos };
    }
    return this.postfix(this.prim());
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        const name = this.ident('a field or method name after "."');
        if (this.isPunct('(')) {
          this.next();
          e = { k: 'call', obj: e, name: canonicalName(name.text), args: this.args(), pos: name.pos };
        } else e = { k: 'field', obj: e, name: name.text, pos: name.pos };
      } else if (this.isPunct('[')) {
        const pos = this.next().pos;
        const cond = this.expr();
        this.expectPunct(']');
        e = { k: 'filter', obj: e, cond, pos };
      } else return e;
    }
  }

  /** After '(': arguments up to and including ')'. */
  private args(): Expr[] {
    const out: Expr[] = [];
    if (this.isPunct(')')) {
      this.next();
      return out;
    }
    for (;;) {
      if (this.isLambdaHead()) throw unsupported('lambda argument', this.t.pos);
      out.push(this.expr());
      if (this.isPunct(')')) {
        this.next();
        return out;
      }
      if (!this.isPunct(',')) this.fail(`',' or ')'`);
      this.next();
    }
  }

  private prim(): Expr {
    const tok = this.t;
    switch (tok.type) {
      case 'num':
        this.next();
        return { k: 'num', v: Number(tok.text), int: !!tok.int, pos: tok.pos };
      case 'str':
        this.next();
        return { k: 'str', v: tok.text, pos: tok.pos };
      case 'param':
        this.next();
        return { k: 'param', n: Number(tok.text), pos: tok.pos };
      case 'eof':
        this.fail('an expression');
        break;
      case 'punct':
        return this.punctPrim(tok);
      case 'ident':
        return this.identPrim(tok);
    }
    return this.fail('an expression');
  }

  private punctPrim(tok: Token): Expr {
    if (tok.text === '(') {
      this.next();
      const saved = this.noIn;
      this.noIn = 0;
      try {
        const e = this.expr();
        this.expectPunct(')');
        return e;
      } finally {
        this.noIn = saved;
      }
    }
    if (tok.text === '[') {
      this.next();
      const items: Expr[] = [];
      if (!this.isPunct(']')) {
        for (;;) {
          items.push(this.expr());
          if (this.isPunct(']')) break;
          if (!this.isPunct(',')) this.fail(`',' or ']'`);
          this.next();
        }
      }
      this.next();
      return { k: 'array', items, pos: tok.pos };
    }
    if (tok.text === '^') {
      let levels = 0;
      while (this.isPunct('^')) {
        this.next();
        levels++;
      }
      if (this.isPunct('.')) this.next();
      const name = this.ident('a field name after "^"');
      return { k: 'field', obj: { k: 'up', levels, pos: tok.pos }, name: name.text, pos: name.pos };
    }
    return this.fail('an expression');
  }

  private identPrim(tok: Token): Expr {
    const w = tok.lower;
    const nxt = this.peek();
    if (w === 'true' || w === 'false') {
      this.next();
      return { k: 'bool', v: w === 'true', pos: tok.pos };
    }
    if (TIME_WORDS.has(w) || (CAL_WORDS.has(w) && nxt.type === 'ident' && nxt.lower in UNIT_WORDS)) {
      return { k: 'time', t: this.timeRef(), pos: tok.pos };
    }
    if (w === 'date' && this.isPunct('(', nxt)) return { k: 'time', t: this.timeRef(), pos: tok.pos };
    if ((w === 'exists' || w === 'forall') && nxt.type === 'ident') {
      this.next();
      const binds = [this.binding(true)];
      while (this.isPunct(',') && this.peek().type === 'ident' && this.isWord('from', this.peek(2))) {
        this.next();
        binds.push(this.binding(true));
      }
      return { k: w, binds, pos: tok.pos };
    }
    if (w === 'select' && nxt.type === 'ident') {
      this.next();
      return { k: 'select', bind: this.binding(true), pos: tok.pos };
    }
    if (AGG_WORDS.has(w) && nxt.type !== 'punct' && nxt.type !== 'eof') {
      this.next();
      const value = this.sum();
      this.expectWord('over');
      return { k: 'agg', fn: w as AggFn, value, bind: this.binding(false), pos: tok.pos };
    }
    if (w === 'chain' && this.isPunct('(', nxt)) return this.chain();
    // `a or let X = ... in ...`: the let reaches as far right as it can, as at the top.
    if (w === 'let' && nxt.type === 'ident' && this.isPunct('=', this.peek(2))) return this.expr();
    if (tok.text === 'offer' && this.isPunct('.', nxt)) throw unsupported('offer.*', tok.pos);
    this.next();
    if (this.isPunct('(')) {
      this.next();
      return { k: 'call', obj: null, name: canonicalName(tok.text), args: this.args(), pos: tok.pos };
    }
    return { k: 'ident', name: tok.text, pos: tok.pos };
  }

  /** `V from SRC (where|:) COND`; the condition is optional only for `... over`. */
  private binding(condRequired: boolean): Binding {
    const name = this.ident('a variable name');
    this.expectWord('from');
    const src = this.sumOrPath();
    let cond: Expr | null = null;
    if (this.isWord('where') || this.isPunct(':')) {
      this.next();
      cond = this.expr();
    } else if (condRequired) this.fail(`'where'`);
    return { name: name.text, src, cond, pos: name.pos };
  }

  private sumOrPath(): Expr {
    return this.sum();
  }

  private chain(): Expr {
    const pos = this.next().pos;
    this.expectPunct('(');
    const events = this.sum();
    this.expectPunct(',');
    const tsPath = [this.ident('the timestamp field').text];
    while (this.isPunct('.')) {
      this.next();
      tsPath.push(this.ident('a field name').text);
    }
    this.expectPunct(',');
    this.expectPunct('[');
    const steps: ChainStep[] = [this.step()];
    while (this.isPunct(',')) {
      this.next();
      steps.push(this.step());
    }
    this.expectPunct(']');
    this.expectPunct(')');
    return { k: 'chain', events, tsPath, steps, pos };
  }

  private step(): ChainStep {
    const label = this.ident('a step label');
    this.expectPunct(':');
    let what: Expr | null = null;
    let when: OccursForm | null = null;
    let count: number | null = null;
    while (this.t.type === 'ident' && this.isPunct('(', this.peek())) {
      const kw = this.t;
      const seen = (v: unknown): void => {
        if (v !== null) throw syntaxError(`'${kw.text}' given twice in step '${label.text}'`, kw.pos);
      };
      if (kw.lower === 'what') {
        seen(what);
        this.next();
        this.next();
        what = this.expr();
      } else if (kw.lower === 'when') {
        seen(when);
        this.next();
        this.next();
        when = this.occursBody();
      } else if (kw.lower === 'count') {
        seen(count);
        this.next();
        this.next();
        count = this.uint('COUNT');
      } else if (kw.lower === 'where') {
        throw unsupported('WHERE', kw.pos);
      } else break;
      this.expectPunct(')');
    }
    if (what === null) this.fail(`'WHAT(' in step '${label.text}'`);
    return { label: label.text, what, when, count: count ?? 1, pos: label.pos };
  }

  /** What follows `occurs` (or sits inside `WHEN(...)`). */
  private occursBody(): OccursForm {
    const tok = this.t;
    if (tok.type === 'punct' && CMP_OPS.has(tok.text)) {
      this.next();
      const n = this.uint('the number of units');
      const unitTok = this.ident('a time unit');
      const unit = UNIT_WORDS[unitTok.lower];
      if (!unit) throw syntaxError(`expected a time unit but found '${unitTok.text}'`, unitTok.pos);
      const dirTok = this.t;
      if (!(dirTok.type === 'ident' && DIR_WORDS.has(dirTok.lower))) this.fail(`'before', 'after' or 'from'`);
      this.next();
      return { f: 'window', op: tok.text as CmpOp, n, unit, dir: dirTok.lower as 'before', t: this.timeRef() };
    }
    if (tok.type === 'ident' && DIR_WORDS.has(tok.lower)) {
      this.next();
      return { f: tok.lower as 'before' | 'after' | 'from', t: this.timeRef() };
    }
    if (this.isWord('between')) {
      this.next();
      const a = this.timeRef();
      this.expectWord('and');
      return { f: 'between', a, b: this.timeRef() };
    }
    if (this.isWord('on')) this.next();
    return { f: 'on', t: this.timeRef() };
  }

  private timeRef(): TimeRef {
    const tok = this.t;
    const pos: Pos = tok.pos;
    if (tok.type === 'ident') {
      if (TIME_WORDS.has(tok.lower)) {
        this.next();
        return { k: 'timeWord', word: tok.lower as 'now', pos };
      }
      const nxt = this.peek();
      if (CAL_WORDS.has(tok.lower) && nxt.type === 'ident' && nxt.lower in UNIT_WORDS) {
        this.next();
        this.next();
        return { k: 'calUnit', which: tok.lower as 'this', unit: UNIT_WORDS[nxt.lower], pos };
      }
      if (tok.lower === 'date' && this.isPunct('(', nxt)) return this.dateLiteral();
    }
    if (tok.type !== 'ident' && !this.isPunct('^') && tok.type !== 'param') this.fail('a time reference');
    return { k: 'instant', expr: this.postfix(this.prim()), pos };
  }

  private dateLiteral(): TimeRef {
    const pos = this.next().pos;
    this.expectPunct('(');
    const args = this.args();
    const ints = args.map((a) => (a.k === 'num' && a.int ? a.v : null));
    if (ints.length !== 3 || ints.some((v) => v === null)) {
      throw invalid('date() needs three integer literals (year, month, day)', pos);
    }
    const [y, m, d] = ints as number[];
    const days = new Date(Date.UTC(2000, m, 0)).getUTCDate();
    if (m < 1 || m > 12 || d < 1 || d > (m === 2 ? (isLeap(y) ? 29 : 28) : days) || y < 1 || y > 9999) {
      throw invalid(`date(${y}, ${m}, ${d}) is not a calendar date`, pos);
    }
    return { k: 'date', y, m, d, pos };
  }
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
