import type { ParquetWriter } from 'hyparquet-writer';

// Taken from ParquetWriter itself so that these types are hyparquet-writer's own (it bundles its
// own hyparquet version; the top-level `hyparquet` reads files back: tests, and the API's export diff).
export type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
export type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

export const COLUMNS = { namespace: 'primaryNamespace', id: 'primaryId', profile: 'profile' } as const;

function utf8(name: string): SchemaElement {
  return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'REQUIRED' };
}

/**
 * The schema in the file's footer: two strings and the profile as a JSON document (BYTE_ARRAY
 * annotated JSON, both the legacy converted type and the logical type, so that old and new
 * readers see it as JSON; Spark and DuckDB read it as a string/JSON column).
 */
export function fileSchema(): SchemaElement[] {
  return [
    { name: 'root', num_children: 3 },
    utf8(COLUMNS.namespace),
    utf8(COLUMNS.id),
    { name: COLUMNS.profile, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' }, repetition_type: 'REQUIRED' },
  ];
}

/**
 * The schema the column data is encoded with. It differs from fileSchema() only in `profile`,
 * which is encoded as UTF8: for a JSON-annotated column hyparquet-writer runs every value
 * through `JSON.stringify(toJson(value))`, so the UTF-8 bytes we already serialised would be
 * serialised again (as an array of numbers), and handing it the objects instead costs a deep
 * copy per row and keeps a whole row group of live objects. A UTF8 column takes Uint8Array
 * values as they are. UTF8 and JSON are both plain UTF-8 bytes in a BYTE_ARRAY, so the pages are
 * the same; only the footer's annotation differs (profile statistics are off, so no statistic
 * depends on the annotation either).
 */
export function encodingSchema(): SchemaElement[] {
  const schema = fileSchema();
  schema[3] = utf8(COLUMNS.profile);
  return schema;
}
