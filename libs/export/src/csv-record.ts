/**
 * CSV records (RFC 4180) of projected rows: one field per `fields` column. Cells: a string as it
 * is, a number or boolean as its JSON text, null or a missing path an empty (unquoted) field, an
 * object or array its JSON text; an empty string is `""`, so that it stays apart from missing.
 */
import { type FieldColumn, columnName } from './field-columns';
import { type FieldTree, parseFieldPaths, selectValue } from './paths';
import { type PlainObject, hasOwn, isPlainObject } from './plain-object';

/** RFC 4180 line end. */
export const CSV_LINE_END = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;

/** A field as RFC 4180 writes it: quoted (`"` doubled) when it holds `"`, `,`, CR or LF, or is empty. */
export function csvField(text: string): string {
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The field of one value at the end of a path; undefined and null are an empty, unquoted field. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return csvField(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return csvField(JSON.stringify(value));
}

/** The header record: each column's normalised path. */
export function csvHeader(columns: readonly FieldColumn[]): string {
  return columns.map((c) => csvField(columnName(c))).join(',') + CSV_LINE_END;
}

type CellOf = (row: PlainObject) => string;

/**
 * The cell of one column. Where the data holds an array before the path ends (one the request
 * could not foresee: known arrays are refused at POST), the cell is the JSON text of what the
 * rest of the path selects in it, as the JSON Lines row shows it (`[{"channel":"email"}]`).
 */
function compileCell(column: FieldColumn): CellOf {
  // The selection of the rest of the path after each segment, for arrays met on the way.
  const rest: FieldTree[] = column.map((_, i) => parseFieldPaths(column.slice(i).join('.'))!);
  return (row) => {
    let value: unknown = row;
    for (let i = 0; i < column.length; i++) {
      if (Array.isArray(value)) return csvCell(selectValue(value, rest[i]));
      if (!isPlainObject(value) || !hasOwn(value, column[i])) return '';
      value = value[column[i]];
    }
    return csvCell(value);
  };
}

/** Compile once per file: a projected row to its record (its fields joined, CRLF ended). */
export function compileCsvRecord(columns: readonly FieldColumn[]): (row: PlainObject) => string {
  const cells = columns.map(compileCell);
  return (row) => {
    let line = '';
    for (let i = 0; i < cells.length; i++) line += (i ? ',' : '') + cells[i](row);
    return line + CSV_LINE_END;
  };
}
