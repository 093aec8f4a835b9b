// Small statistics and labels shared by the export bench's reports.
import { fmt } from '../lib.mjs';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The store column of a result: its size and record shape. */
export const storeOf = (r) => `${fmt(r.n).padStart(9)} ${(r.records ?? '').padEnd(9)}`;
