// Encoding of values for COPY ... FROM STDIN in PostgreSQL's text format.

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_G = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One text-format field: backslash, newline, carriage return and tab escaped. */
export function copyField(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_G, (c) => ESCAPES[c]) : value;
}

/** A text[] literal as one text-format field. */
export function copyTextArray(values: string[]): string {
  return copyField(`{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
}

/** NULL in text format. */
export const COPY_NULL = '\\N';
