/**
 * `fields` as a list of columns (CSV output): the same normalisation parseFieldPaths applies
 * (items split on commas, path segments on dots, whitespace around both ignored, empty items and
 * segments dropped), but every path kept in the order given rather than folded into a tree.
 */

/** One column: a normalised dot path, as segments. */
export type FieldColumn = readonly string[];

/**
 * The columns `fields` names, in the order given; a path given twice (after normalisation:
 * `a.b` and ` a . b `) is one column, at its first place. Empty when `fields` names no path.
 */
export function fieldColumns(fields: string | undefined): FieldColumn[] {
  const columns: FieldColumn[] = [];
  const seen = new Set<string>();
  for (const item of (fields ?? '').split(',')) {
    const segments = item
      .split('.')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (segments.length === 0) continue;
    const name = segments.join('.');
    if (seen.has(name)) continue;
    seen.add(name);
    columns.push(segments);
  }
  return columns;
}

/** The header text of a column: its normalised path. */
export const columnName = (column: FieldColumn): string => column.join('.');

/**
 * The paths every exported row holds as arrays, whatever was ingested: the service has no XDM
 * schema registry (records are stored as sent), so these are the arrays its own rules shape —
 * `identities` (derived from identityMap, DESIGN.md 3), each identityMap namespace's list of
 * identities (`*`: any namespace), and the `eventList` of additionalFields.eventList.
 */
const KNOWN_ARRAYS: readonly FieldColumn[] = [['identities'], ['identityMap', '*'], ['eventList']];

/**
 * The part of `column` that is a known array (`identityMap.Email` for `identityMap.Email.id`),
 * or undefined when the path neither is one nor goes through one.
 */
export function knownArrayPrefix(column: FieldColumn): string | undefined {
  for (const array of KNOWN_ARRAYS) {
    if (column.length < array.length) continue;
    if (array.every((segment, i) => segment === '*' || segment === column[i])) return column.slice(0, array.length).join('.');
  }
  return undefined;
}
