// Encoding of values for COPY ... FROM STDIN in PostgreSQL's text format.

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_G = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One text-format field: backslash, newline, carriage return and tab escaped. */
export function copyField(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_G, (c) => ESCAPES[c]) : value;
}

/** A text[] literal as one text-format field; an undefined element is NULL. */
export function copyTextArray(values: ReadonlyArray<string | undefined>): string {
  return copyField(`{${values.map((v) => (v === undefined ? 'NULL' : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`);
}

/** A profile's memberships as the four staged array fields (namespace, segment, status, time), or four NULLs. */
export function membershipFields(memberships: ReadonlyArray<{ namespace: string; segmentId: string; status: string; lastQualificationTime?: string }> | undefined): string {
  if (!memberships?.length) return `${COPY_NULL}\t${COPY_NULL}\t${COPY_NULL}\t${COPY_NULL}`;
  return [
    copyTextArray(memberships.map((m) => m.namespace)),
    copyTextArray(memberships.map((m) => m.segmentId)),
    copyTextArray(memberships.map((m) => m.status)),
    copyTextArray(memberships.map((m) => m.lastQualificationTime)),
  ].join('\t');
}

/** NULL in text format. */
export const COPY_NULL = '\\N';
