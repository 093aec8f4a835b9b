import { PqlError } from './api';
import type { Pos } from './ast';

export type TokenType = 'ident' | 'num' | 'str' | 'param' | 'punct' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** ident: the name as written; punct: the operator; str: the decoded value; num: the digits. */
  readonly text: string;
  /** ident only: lower-cased, for case-insensitive keywords. */
  readonly lower: string;
  readonly pos: Pos;
  /** num: whether written without a fraction. */
  readonly int?: boolean;
}

const PUNCT2 = ['!=', '<=', '>=', '=>'];
const PUNCT1 = '()[],.:=<>+-*/%!^';
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\', '/': '/' };

export const at = (pos: Pos): string => ` at ${pos.line}:${pos.column}`;
export const syntaxError = (message: string, pos: Pos): PqlError => new PqlError('syntax', message + at(pos), pos.line, pos.column);
export const unsupported = (construct: string, pos: Pos): PqlError => new PqlError('unsupported', `unsupported construct '${construct}'${at(pos)}`, pos.line, pos.column);
export const invalid = (message: string, pos: Pos): PqlError => new PqlError('invalid', message + at(pos), pos.line, pos.column);

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string): boolean => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Splits PQL text into tokens. Comments, backticks and decisioning tokens (`@...`) are refused. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (src[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    const pos: Pos = { line, column: col };
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      advance(1);
      continue;
    }
    if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) throw unsupported('comment', pos);
    if (c === '`') throw unsupported('backtick identifier', pos);
    if (c === '@') throw unsupported(src[i + 1] === '{' ? '@{' : '@event', pos);
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length || src[j] === '\n') throw syntaxError('unterminated string', pos);
        const ch = src[j];
        if (ch === c) break;
        if (ch === '\\') {
          const e = src[j + 1];
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          if (e === undefined || !(e in ESCAPES)) {
            throw syntaxError(`unknown escape '\\${e ?? ''}' in string`, { line, column: col + (j - i) });
          }
          value += ESCAPES[e];
          j += 2;
          continue;
        }
        value += ch;
        j++;
      }
      out.push({ type: 'str', text: value, lower: '', pos });
      advance(j + 1 - i);
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < src.length && isDigit(src[j])) j++;
      let int = true;
      if (src[j] === '.' && isDigit(src[j + 1] ?? '')) {
        int = false;
        j++;
        while (j < src.length && isDigit(src[j])) j++;
      }
      if (isIdentStart(src[j] ?? '')) throw syntaxError(`malformed number '${src.slice(i, j + 1)}'`, pos);
      out.push({ type: 'num', text: src.slice(i, j), lower: '', pos, int });
      advance(j - i);
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (j < src.length && isIdentPart(src[j])) j++;
      const text = src.slice(i, j);
      out.push({ type: 'ident', text, lower: text.toLowerCase(), pos });
      advance(j - i);
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (j < src.length && isDigit(src[j])) j++;
      if (j === i + 1) throw syntaxError(`expected a parameter number after '$'`, pos);
      out.push({ type: 'param', text: src.slice(i + 1, j), lower: '', pos });
      advance(j - i);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      out.push({ type: 'punct', text: two, lower: '', pos });
      advance(2);
      continue;
    }
    if (PUNCT1.includes(c)) {
      out.push({ type: 'punct', text: c, lower: '', pos });
      advance(1);
      continue;
    }
    throw syntaxError(`unexpected character '${c}'`, pos);
  }
  out.push({ type: 'eof', text: '', lower: '', pos: { line, column: col } });
  return out;
}
