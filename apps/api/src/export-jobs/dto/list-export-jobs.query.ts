import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { EXPORT_JOB_STATUSES, ExportJobStatus } from '@sx/domain';
import { PageLimitQuery } from '../../common/page-limit.query';

/** Query of GET /export/jobs. `limit` above 1000 is capped, not refused (as AEP does). */
export class ListExportJobsQuery extends PageLimitQuery {
  @ApiPropertyOptional({ example: '1538573416687_722', description: '`{creationTimeMs}_{id}` of the last job of the previous page (from link.next).' })
  @IsOptional()
  @Matches(/^\d{1,15}_\d{1,10}$/, { message: 'must be {creationTimeMs}_{id}, as given in link.next' })
  offset?: string;

  @ApiPropertyOptional({ enum: EXPORT_JOB_STATUSES })
  @IsOptional()
  @IsIn(EXPORT_JOB_STATUSES)
  status?: ExportJobStatus;
}
