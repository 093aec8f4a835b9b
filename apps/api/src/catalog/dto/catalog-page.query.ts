import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);
const toList = ({ value }: { value: unknown }) => (value === undefined || Array.isArray(value) ? value : [value]);

/** A Catalog filter parameter: text, may be repeated (each occurrence must hold). */
function Filter(description: string, example?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example, type: String }),
    IsOptional(),
    Transform(toList),
    ArrayMaxSize(20, { message: 'may be given at most 20 times' }),
    IsString({ each: true, message: 'must be text' }),
    MaxLength(2000, { each: true, message: 'must be at most 2000 characters' }),
  );
}

export const DEFAULT_CATALOG_LIMIT = 20;
/** AEP caps a dataset list that asks for `observableSchema` at 20 objects. */
export const OBSERVABLE_SCHEMA_LIMIT = 20;

/** What every Catalog list takes (AEP-API-NOTES.md section 6): paging, order, projection, `property=`. */
export class CatalogPageQuery {
  @ApiPropertyOptional({ default: DEFAULT_CATALOG_LIMIT, minimum: 1, maximum: 100, description: '1 to 100; 20 when absent (as AEP).' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ default: 0, description: '0-based offset in the order.' })
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(1_000_000_000)
  start?: number;

  @Filter('Comma-separated `asc:field` / `desc:field` (ascending by default); newest first when absent.', 'desc:created')
  orderBy?: string[];

  @Filter('The old name of orderBy.')
  sort?: string[];

  @Filter('Comma-separated top-level fields to answer with; objects without them come back partial or {}.', 'name,description')
  properties?: string[];

  @Filter('`field` (exists), `!field` (absent), `field~regex`, `field==v` (`*` wildcard), `field!=v`, `field<v`, `<=`, `>`, `>=`. Repeat to AND.', 'name~^crm')
  property?: string[];

  @Filter('`name:value,name2:*`: every tag must match; `*` is a wildcard in values.', 'unifiedProfile:enabled:true')
  tags?: string[];

  @Filter('Created after this time (epoch ms, exclusive).')
  createdAfter?: string[];

  @Filter('Created before this time (epoch ms, exclusive).')
  createdBefore?: string[];

  @Filter('Exact created time (epoch ms); `a,b` any of, `!a` none of.')
  created?: string[];

  @Filter('Exact updated time (epoch ms).')
  updated?: string[];

  @Filter('The client (x-api-key) that created it.')
  createdClient?: string[];

  @Filter('The user that created it.')
  createdUser?: string[];

  @Filter('The user that last updated it.')
  updatedUser?: string[];

  @Filter('The version (always 1.0.0 here).')
  version?: string[];
}

export class DatasetListQuery extends CatalogPageQuery {
  @Filter('Dataset name: `x`, `a,b` (any of), `!x` (not), `*` wildcard (`**` a literal asterisk).', 'CRM*')
  name?: string[];

  @Filter('Dataset description, as name.')
  description?: string[];

  @Filter('true or false.')
  enableErrorDiagnostics?: string[];
}

export class BatchListQuery extends CatalogPageQuery {
  @Filter('Only batches of these datasets (`id`, `a,b`, `!id`).')
  dataSet?: string[];

  @Filter('Batch status (Catalog names: success = active, failed = failure); `a,b`, `!x`.', 'success')
  status?: string[];

  @Filter('These batch ids.')
  batch?: string[];

  @Filter('Records written.')
  recordCount?: string[];

  @Filter('Records that failed.')
  failedRecordCount?: string[];

  @Filter('Completed at (epoch ms).')
  completed?: string[];

  @Filter('Ended after (epoch ms, exclusive; the completed time).')
  endAfter?: string[];

  @Filter('Ended before (epoch ms, exclusive).')
  endBefore?: string[];

  @Filter('Not recorded here: matches no batch.')
  started?: string[];

  @Filter('Not recorded here: matches no batch.')
  startAfter?: string[];

  @Filter('Not recorded here: matches no batch.')
  startBefore?: string[];

  @Filter('Not recorded here: matches no batch.')
  size?: string[];

  @Filter('Not recorded here: matches no batch.')
  externalId?: string[];
}
