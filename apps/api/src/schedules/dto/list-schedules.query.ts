import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { MAX_PAGE_SIZE, toInteger } from '../../common/page-limit.query';

/** AEP's default page of schedules. */
export const DEFAULT_SCHEDULE_PAGE = 100;

/** Query of GET /config/schedules (AEP: start, limit; default 100). `limit` above 1000 is capped. */
export class ListSchedulesQuery {
  @ApiPropertyOptional({ default: 0, description: 'Offset of the first schedule (oldest first).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  start?: number;

  @ApiPropertyOptional({ default: DEFAULT_SCHEDULE_PAGE, maximum: MAX_PAGE_SIZE, description: 'Values above 1000 are capped at 1000.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  limit?: number;
}
