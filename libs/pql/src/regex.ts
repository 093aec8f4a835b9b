/**
 * Java `java.util.regex` patterns (what PQL's `matches` takes) as JavaScript RegExps, where the
 * meaning is the same; anything whose meaning differs or has no JS form is refused with a reason.
 */
export type RegexTranslation = { ok: true; source: string; flags: string } | { ok: false; reason: string };

const REFUSED_ESCAPES: Record<string, string> = {
  Q: 'quoting with \\Q...\\E',
  E: 'quoting with \\Q...\\E',
  A: 'the \\A anchor',
  Z: 'the \\Z anchor',
  z: 'the \\z anchor',
  G: 'the \\G anchor',
  p: 'Unicode classes \\p{...}',
  P: 'Unicode classes \\P{...}',
  h: 'the \\h class',
  H: 'the \\H class',
  R: 'the \\R linebreak matcher',
  X: 'the \\X grapheme matcher',
  v: 'the \\v class (vertical whitespace in Java, a vertical tab in JavaScript)',
  V: 'the \\V class',
  e: 'the \\e escape',
  a: 'the \\a escape',
};

export function translateJavaRegex(java: string): RegexTranslation {
  let src = java;
  let flags = '';
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i') flags += flags.includes('i') ? '' : 'i';
      else if (f === 's') flags += flags.includes('s') ? '' : 's';
      else if (f === 'm') flags += flags.includes('m') ? '' : 'm';
      else return { ok: false, reason: `the inline flag (?${f})` };
    }
    src = src.slice(lead[0].length);
  }
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const e = src[i + 1];
      if (e !== undefined && e in REFUSED_ESCAPES) return { ok: false, reason: REFUSED_ESCAPES[e] };
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[') return { ok: false, reason: 'nested character classes' };
      else if (c === '&' && src[i + 1] === '&') return { ok: false, reason: 'character class intersection (&&)' };
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (src[i + 1] === '^') i++;
      if (src[i + 1] === ']') i++; // a leading ']' is a literal in Java
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (!/^(:|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>)/.test(rest)) return { ok: false, reason: `the group '(?${rest.slice(0, 2)}'` };
      continue;
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && src[i + 1] === '+') {
      return { ok: false, reason: 'possessive quantifiers' };
    }
  }
  try {
    new RegExp(src, flags);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, source: src, flags };
}
