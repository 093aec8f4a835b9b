import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { SEGMENT_SORT_FIELDS } from '@sx/domain';
import { MAX_PAGE_SIZE, toInteger } from '../../common/page-limit.query';
import { toBoolean } from '../../common/query-boolean';

/** AEP's default page size for definitions (its list example answers `"limit": 100`; aepp pages by 100). */
export const DEFAULT_DEFINITION_PAGE_SIZE = 100;

const SORT_KEY = `(${SEGMENT_SORT_FIELDS.join('|')})(:(asc|desc))?`;

/**
 * Query of GET /segment/definitions, AEP's parameters: `start` (item offset), `limit`, `page`
 * (pages of `limit` after `start`), `sort`, and the evaluationInfo filters. `limit` above 1000 is
 * capped, not refused.
 */
export class ListSegmentDefinitionsQuery {
  @ApiPropertyOptional({ default: DEFAULT_DEFINITION_PAGE_SIZE, maximum: MAX_PAGE_SIZE, description: 'Values above 1000 are capped at 1000.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ default: 0, description: 'Offset of the first definition (0-based), as link.next gives it.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  start?: number;

  @ApiPropertyOptional({ default: 0, description: 'Page number from 0, in pages of `limit` after `start`.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  page?: number;

  @ApiPropertyOptional({ example: 'updateTime:desc', description: `attr:asc|desc, comma-separated; attr one of ${SEGMENT_SORT_FIELDS.join(', ')}. Default creationTime:desc.` })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(`^${SORT_KEY}(,${SORT_KEY})*$`), { message: `must be attr:asc or attr:desc (comma-separated), attr one of ${SEGMENT_SORT_FIELDS.join(', ')}` })
  sort?: string;

  @ApiPropertyOptional({ name: 'evaluationInfo.batch.enabled', type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  'evaluationInfo.batch.enabled'?: boolean;

  @ApiPropertyOptional({ name: 'evaluationInfo.continuous.enabled', type: Boolean, description: 'Streaming is not built: true lists nothing.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  'evaluationInfo.continuous.enabled'?: boolean;

  @ApiPropertyOptional({ name: 'evaluationInfo.synchronous.enabled', type: Boolean, description: 'Edge is not built: true lists nothing.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  'evaluationInfo.synchronous.enabled'?: boolean;
}
