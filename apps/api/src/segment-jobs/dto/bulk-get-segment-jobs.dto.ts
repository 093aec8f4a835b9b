import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, ValidateNested } from 'class-validator';

export class SegmentJobIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  id!: string;
}

/** Body of POST /segment/jobs/bulk-get: `{ids: [{id}]}`, 1 to 100 ids. */
export class BulkGetSegmentJobsDto {
  @ApiProperty({ type: [SegmentJobIdDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => SegmentJobIdDto)
  ids!: SegmentJobIdDto[];
}
