import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageLimitQuery, toInteger } from '../../common/page-limit.query';

/** Query of GET /segment/definitions. `limit` above 1000 is capped, not refused (as AEP does). */
export class ListSegmentDefinitionsQuery extends PageLimitQuery {
  @ApiPropertyOptional({ default: 0, description: 'Page number, from 0.' })
  @IsOptional() @Transform(toInteger) @IsInt({ message: 'must be a whole number' }) @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  page?: number;
}
