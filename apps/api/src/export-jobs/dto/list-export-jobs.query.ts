import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Min } from 'class-validator';
import { EXPORT_JOB_STATUSES, ExportJobStatus } from '@sx/domain';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

/** Query of GET /export/jobs. `limit` above 1000 is capped, not refused (as AEP does). */
export class ListExportJobsQuery {
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE, description: 'Values above 1000 are capped at 1000.' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ example: '1538573416687_722', description: '`{creationTimeMs}_{id}` of the last job of the previous page (from link.next).' })
  @IsOptional()
  @Matches(/^\d{1,15}_\d{1,10}$/, { message: 'must be {creationTimeMs}_{id}, as given in link.next' })
  offset?: string;

  @ApiPropertyOptional({ enum: EXPORT_JOB_STATUSES })
  @IsOptional()
  @IsIn(EXPORT_JOB_STATUSES)
  status?: ExportJobStatus;
}
