import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  ValidationOptions,
  ArrayMaxSize,
} from 'class-validator';
import { SCHEMA_REFS } from '@sx/domain';

export class SchemaRefDto {
  @ApiProperty({ enum: SCHEMA_REFS, example: 'https://ns.adobe.com/xdm/context/profile' })
  @IsString()
  @IsIn(SCHEMA_REFS as string[], { message: 'must be the profile, profile union or experience event schema' })
  id: string;

  @ApiPropertyOptional({ example: 'application/vnd.adobe.xed+json;version=1' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  contentType?: string;
}

const FILE_FORMATS = /^(csv|text|parquet|json|sequencefile|avro)$/i;

/** `fileDescription`, as AEP documents it: stored and echoed (a batch's inputFormat says how to read its files). */
export class FileDescriptionDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() persisted?: boolean;
  @ApiPropertyOptional({ example: 'parquet' }) @IsOptional() @IsString() @MaxLength(100) containerFormat?: string;
  @ApiPropertyOptional({ example: 'parquet', description: 'csv, text, parquet, json, sequencefile or avro (any case)' })
  @IsOptional()
  @IsString()
  @Matches(FILE_FORMATS, { message: 'must be csv, text, parquet, json, sequencefile or avro' })
  format?: string;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsString({ each: true }) @ArrayMaxSize(100) delimiters?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsString({ each: true }) @ArrayMaxSize(100) quotes?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsString({ each: true }) @ArrayMaxSize(100) escapes?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsString({ each: true }) @ArrayMaxSize(100) nullMarkers?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() header?: boolean;
  @ApiPropertyOptional({ example: 'UTF-8' }) @IsOptional() @IsString() @MaxLength(100) charset?: string;
}

/** `{"tagName": ["value", ...]}`: at most 100 tags of at most 100 values of 1000 characters. */
function IsCatalogTags(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCatalogTags',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          Object.keys(v).length <= 100 &&
          Object.entries(v).every(
            ([k, list]) => k.length > 0 && k.length <= 200 && Array.isArray(list) && list.length <= 100 && list.every((s) => typeof s === 'string' && s.length <= 1000),
          ),
        defaultMessage: () => 'must be an object of tag names to lists of text values, e.g. {"unifiedProfile": ["enabled:true"]}',
      },
    },
    options,
  );
}

/** The optional dataset fields of POST, PUT and PATCH (AEP-API-NOTES.md section 6). */
export class DatasetFieldsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiPropertyOptional({ example: { unifiedProfile: ['enabled:true'] }, description: 'Stored and echoed; filter with ?tags=.' })
  @IsOptional()
  @IsCatalogTags()
  tags?: Record<string, string[]>;

  @ApiPropertyOptional({ type: FileDescriptionDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FileDescriptionDto)
  fileDescription?: FileDescriptionDto;

  @ApiPropertyOptional({ description: 'Stored and echoed.' })
  @IsOptional()
  @IsBoolean()
  enableErrorDiagnostics?: boolean;

  @ApiPropertyOptional({ description: 'Stored and echoed (not used to check records).' })
  @IsOptional()
  @IsObject()
  observableSchema?: Record<string, unknown>;

  @ApiPropertyOptional({ description: "Stored and echoed (storage paths are the service's own)." })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  basePath?: string;

  @ApiPropertyOptional({ description: 'Stored and echoed.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  dataSourceId?: number;

  @ApiPropertyOptional({ description: 'Legacy schema URI (e.g. @/xdms/context/profile): accepted and ignored; schemaRef names the schema.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  schema?: string;
}

/** POST /dataSets, as AEP's Catalog takes it. */
export class CreateDatasetDto extends DatasetFieldsDto {
  @ApiProperty({ example: 'CRM profiles' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  name: string;

  @ApiProperty({ type: SchemaRefDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SchemaRefDto)
  schemaRef: SchemaRefDto;
}

/**
 * Fields a dataset GET shows that a client cannot write: a PUT or PATCH of what GET answered
 * carries them, so they are accepted (typed) and ignored, with a debug log.
 */
export const READ_ONLY_DATASET_FIELDS = [
  'imsOrg',
  'sandboxId',
  'version',
  'created',
  'updated',
  'createdClient',
  'createdUser',
  'updatedUser',
  'viewId',
  'files',
  'schemaMetadata',
  'lastBatchId',
  'lastBatchStatus',
  'lastSuccessfulBatch',
  'lastFailedBatch',
  'state',
] as const;

class ReadOnlyDatasetFieldsDto extends DatasetFieldsDto {
  @IsOptional() @IsString() imsOrg?: string;
  @IsOptional() @IsString() sandboxId?: string;
  @IsOptional() @IsString() version?: string;
  @IsOptional() @IsInt() created?: number;
  @IsOptional() @IsInt() updated?: number;
  @IsOptional() @IsString() createdClient?: string;
  @IsOptional() @IsString() createdUser?: string;
  @IsOptional() @IsString() updatedUser?: string;
  @IsOptional() @IsString() viewId?: string;
  @IsOptional() @IsString() files?: string;
  @IsOptional() @IsObject() schemaMetadata?: Record<string, unknown>;
  @IsOptional() @IsString() lastBatchId?: string;
  @IsOptional() @IsString() lastBatchStatus?: string;
  @IsOptional() @IsString() lastSuccessfulBatch?: string;
  @IsOptional() @IsString() lastFailedBatch?: string;
  @IsOptional() @IsString() state?: string;
}

/** PUT /dataSets/{id}: the whole object (what is left out is removed). */
export class PutDatasetDto extends ReadOnlyDatasetFieldsDto {
  @ApiProperty({ example: 'CRM profiles' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  name: string;

  @ApiProperty({ type: SchemaRefDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SchemaRefDto)
  schemaRef: SchemaRefDto;
}

/** PATCH /dataSets/{id} with application/json: the fields given replace the stored ones; null removes an optional one. */
export class PatchDatasetDto extends ReadOnlyDatasetFieldsDto {
  @ApiPropertyOptional({ example: 'CRM profiles' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  name?: string;

  @ApiPropertyOptional({ type: SchemaRefDto, description: "Only the schema the dataset has: a dataset's schema cannot change." })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SchemaRefDto)
  schemaRef?: SchemaRefDto;
}
