import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';

/** Most ids one bulk-get takes (AEP states no limit for these endpoints; a bound keeps one request bounded). */
export const MAX_BULK_GET_IDS = 1000;

export class BulkGetIdDto {
  @ApiProperty({ example: '54669488-03ab-4e0d-a694-37fe49e32be8' })
  @IsString()
  @MaxLength(1000)
  id: string;
}

/** AEP's bulk-get body: `{"ids": [{"id": "..."}, ...]}`. */
export class BulkGetDto {
  @ApiProperty({ type: [BulkGetIdDto] })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_GET_IDS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => BulkGetIdDto)
  ids: BulkGetIdDto[];
}
