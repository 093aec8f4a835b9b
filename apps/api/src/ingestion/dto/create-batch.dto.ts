import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, Matches, ValidateNested } from 'class-validator';

export class InputFormatDto {
  @ApiProperty({ enum: ['json'], description: 'JSON Lines or a JSON array, optionally gzip-compressed' })
  @IsIn(['json'], { message: 'must be "json" (JSON Lines or a JSON array; gzip accepted)' })
  format: 'json';
}

/** POST /batches of AEP's Batch Ingestion API. */
export class CreateBatchDto {
  @ApiProperty({ example: '5b7c86968f7b6501e21ba9df' })
  @Matches(/^[0-9a-f]{24}$/, { message: 'must be a dataset id (24 hex characters)' })
  datasetId: string;

  @ApiProperty({ type: InputFormatDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => InputFormatDto)
  inputFormat: InputFormatDto;
}
