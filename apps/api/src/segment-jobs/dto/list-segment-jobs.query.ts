import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Min } from 'class-validator';
import { SEGMENT_JOB_STATUSES, SegmentJobStatus } from '@sx/domain';
import { PageLimitQuery, toInteger } from '../../common/page-limit.query';

/** Query of GET /segment/jobs (AEP: start, limit, status, sort). `limit` above 1000 is capped. */
export class ListSegmentJobsQuery extends PageLimitQuery {
  @ApiPropertyOptional({ default: 0, description: 'Offset of the first job (in the sort order).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  start?: number;

  @ApiPropertyOptional({ enum: SEGMENT_JOB_STATUSES })
  @IsOptional()
  @IsIn(SEGMENT_JOB_STATUSES)
  status?: SegmentJobStatus;

  @ApiPropertyOptional({ example: 'creationTime:desc', description: '`creationTime` or `updateTime`, `:asc` or `:desc` (default creationTime:desc).' })
  @IsOptional()
  @Matches(/^(creationTime|updateTime):(asc|desc)$/, { message: 'must be creationTime or updateTime, then :asc or :desc' })
  sort?: string;
}
