import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { DEFAULT_SCHEDULE_CRON, SCHEDULE_STATES, SCHEDULE_TYPES, ScheduleState, ScheduleType } from '@sx/domain';

/** Body of POST /config/schedules (AEP-API-NOTES section 3). `properties` is checked per type by the service. */
export class CreateScheduleDto {
  @ApiProperty({ example: 'Nightly evaluation', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: SCHEDULE_TYPES, example: 'batch_segmentation' })
  @IsDefined()
  @IsIn(SCHEDULE_TYPES)
  type!: ScheduleType;

  @ApiProperty({
    description:
      'batch_segmentation: {"segments": ["*"]} (every definition of the sandbox, read at each run) or {"segments": [<segment ids>]}. export: {"exportJob": <a POST /export/jobs body>} (not in AEP: its schedules evaluate only).',
    example: { segments: ['*'] },
    type: 'object',
    additionalProperties: true,
  })
  @IsDefined()
  @IsObject()
  properties!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: '0 0 1 * * ?',
    description: `Quartz cron, UTC: sec min hour day-of-month month day-of-week [year]. Unset: "${DEFAULT_SCHEDULE_CRON}" (daily at 01:00 UTC). Runs at most once per SCHEDULE_MIN_INTERVAL_SECONDS.`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  schedule?: string;

  @ApiPropertyOptional({ enum: SCHEDULE_STATES, default: 'inactive' })
  @IsOptional()
  @IsIn(SCHEDULE_STATES)
  state?: ScheduleState;
}
