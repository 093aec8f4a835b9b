import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageLimitQuery, toInteger } from '../../common/page-limit.query';

/** Query of GET /config/mergePolicies. `limit` above 1000 is capped, not refused (as AEP does). */
export class ListMergePoliciesQuery extends PageLimitQuery {
  @ApiPropertyOptional({ default: 0, description: 'Offset into the list, whose first entry is the built-in policy (as given in _links.next.href).' })
  @IsOptional() @Transform(toInteger) @IsInt({ message: 'must be a whole number' }) @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  start?: number;
}
