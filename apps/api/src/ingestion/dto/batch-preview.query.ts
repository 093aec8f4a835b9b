import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { toInteger } from '../../common/page-limit.query';
import { toBoolean } from '../../common/query-boolean';

/** Rows of a preview without `nrow` (or with `nrow=0`, AEP's default), and the most a preview answers. */
export const PREVIEW_DEFAULT_ROWS = 100;
export const PREVIEW_MAX_ROWS = 1000;

export const PREVIEW_FORMATS = ['json', 'parquet', 'csv'] as const;

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

/** Query of GET /batches/{batchId}/datasets/{datasetId}/preview (AEP-API-NOTES.md section 7). */
export class BatchPreviewQuery {
  @ApiProperty({ enum: PREVIEW_FORMATS, description: 'Matched case-insensitively. Only json is read here (parquet and csv are not ingested by this service: 400).' })
  @Transform(lowerCase)
  @IsIn(PREVIEW_FORMATS, { message: 'is required: json, parquet or csv (any case)' })
  format: (typeof PREVIEW_FORMATS)[number];

  @ApiPropertyOptional({ default: false, description: 'Echoed; the file is read as ingestion reads it (a JSON array when it starts with "[", JSON Lines otherwise)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  isMultiLineJson?: boolean;

  @ApiPropertyOptional({ default: ',', description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  delimiter?: string;

  @ApiPropertyOptional({ default: '"', description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  quote?: string;

  @ApiPropertyOptional({ default: '\\', description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  escape?: string;

  @ApiPropertyOptional({ default: 'UTF-8', description: 'Files are read as UTF-8; accepted and ignored' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  charset?: string;

  @ApiPropertyOptional({ default: true, description: 'CSV only: accepted and ignored' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  header?: boolean;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: `Rows to answer; 0 or absent: ${PREVIEW_DEFAULT_ROWS}; above ${PREVIEW_MAX_ROWS} it is capped` })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(2_147_483_647)
  nrow?: number;
}
