/**
 * Compares profile keys the way Postgres orders them under COLLATE "C" (UTF-8 byte order, which is
 * code point order). JS `<` compares UTF-16 code units, which differs only when a surrogate pair
 * meets a character from U+E000 to U+FFFF; that case falls back to comparing code points.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
    return x - y;
  }
  return a.length - b.length;
}
