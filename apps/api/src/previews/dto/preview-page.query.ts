import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toInteger } from '../../common/page-limit.query';

export const PREVIEW_PAGE_DEFAULT = 1000;
export const PREVIEW_PAGE_MAX = 10_000;

/** Query of GET /preview/{previewId}: an offset into the matching profiles (key order) and a page size. */
export class PreviewPageQuery {
  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(2_147_483_647)
  offset?: number;

  @ApiPropertyOptional({ default: PREVIEW_PAGE_DEFAULT, maximum: PREVIEW_PAGE_MAX })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(PREVIEW_PAGE_MAX)
  limit?: number;
}
