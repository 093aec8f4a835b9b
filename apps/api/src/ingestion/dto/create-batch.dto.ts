import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsDefined, IsIn, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy, ValidateNested } from 'class-validator';

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

/** AEP's `inputFormat`. Only JSON is read here; the CSV options are accepted (type-checked) and ignored. */
export class InputFormatDto {
  @ApiProperty({ enum: ['json'], description: 'Matched case-insensitively (AEP writes "json", its spec "JSON"). JSON Lines or a JSON array, gzip accepted.' })
  @Transform(lowerCase)
  @IsIn(['json'], { message: 'must be "json" (any case): JSON Lines or a JSON array, gzip accepted; parquet and csv are not read here' })
  format: 'json';

  @ApiPropertyOptional({ default: false, description: 'true: records may span lines; the file is then a JSON array (pretty-printed or not)' })
  @IsOptional()
  @IsBoolean()
  isMultiLineJson?: boolean;

  @ApiPropertyOptional({ description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  delimiter?: string;

  @ApiPropertyOptional({ description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  quote?: string;

  @ApiPropertyOptional({ description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  escape?: string;

  @ApiPropertyOptional({ description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsBoolean()
  header?: boolean;

  @ApiPropertyOptional({ description: 'Files are read as UTF-8; accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  charset?: string;
}

export class ReplayDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  predecessors?: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(256, { each: true })
  predecessorsByExternalId?: string[];

  @ApiPropertyOptional({ example: 'replace' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reason?: string;
}

/** AEP's `tags`: `{"key": ["value", ...]}`. */
function IsTagMap() {
  return ValidateBy({
    name: 'isTagMap',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= 100 &&
        Object.values(value).every((v) => Array.isArray(v) && v.length <= 100 && v.every((s) => typeof s === 'string' && s.length <= 1024)),
      defaultMessage: () => 'must be an object of string arrays, e.g. {"source": ["crm"]}',
    },
  });
}

/** POST /batches of AEP's Batch Ingestion API. */
export class CreateBatchDto {
  @ApiProperty({ example: '5b7c86968f7b6501e21ba9df' })
  @Matches(/^[0-9a-f]{24}$/, { message: 'must be a dataset id (24 hex characters)' })
  datasetId: string;

  @ApiProperty({ type: InputFormatDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => InputFormatDto)
  inputFormat: InputFormatDto;

  @ApiPropertyOptional({ description: 'Accepted and ignored: every refused record is listed on the batch (errors[], /meta) anyway' })
  @IsOptional()
  @IsBoolean()
  enableErrorDiagnostics?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 100,
    description:
      'Percent of refused records tolerated: up to it they are skipped (counted in failedRecordCount, served by Data Access /failed) and the batch succeeds; absent: all or nothing. Stored, not echoed (as AEP)',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  partialIngestionPercentage?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'The spelling of one AEP revision: as partialIngestionPercentage' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  partialIngestionPercent?: number;

  @ApiPropertyOptional({ type: ReplayDto, description: 'Stored and echoed; the predecessors are not replaced here' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ReplayDto)
  replay?: ReplayDto;

  @ApiPropertyOptional({ example: { source: ['crm'] }, description: 'Stored and echoed' })
  @IsOptional()
  @IsTagMap()
  tags?: Record<string, string[]>;

  @ApiPropertyOptional({ description: 'Stored and echoed' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  externalId?: string;
}
