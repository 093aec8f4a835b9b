import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

/** Catalog paging: `limit` (default 50, at most 100, as AEP's Catalog) and `start` (offset). */
export class CatalogPageQuery {
  @ApiPropertyOptional({ default: 50, maximum: 100 })
  @IsOptional() @Transform(toInt) @IsInt({ message: 'must be a whole number' }) @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional() @Transform(toInt) @IsInt({ message: 'must be a whole number' }) @Min(0) @Max(1_000_000_000)
  start?: number;
}

export class BatchListQuery extends CatalogPageQuery {
  @ApiPropertyOptional({ description: 'Only batches of this dataset' })
  @IsOptional() @Matches(/^[0-9a-f]{24}$/, { message: 'must be a dataset id (24 hex characters)' })
  dataSet?: string;

  @ApiPropertyOptional({ enum: ['loading', 'staging', 'processing', 'success', 'failed', 'aborted'] })
  @IsOptional() @IsIn(['loading', 'staging', 'processing', 'success', 'failed', 'aborted'])
  status?: 'loading' | 'staging' | 'processing' | 'success' | 'failed' | 'aborted';
}
