import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export const SCHEMA_REFS = [
  'https://ns.adobe.com/xdm/context/profile',
  'https://ns.adobe.com/xdm/context/experienceevent',
  '_xdm.context.profile',
  '_xdm.context.experienceevent',
];

export class SchemaRefDto {
  @ApiProperty({ enum: SCHEMA_REFS, example: 'https://ns.adobe.com/xdm/context/profile' })
  @IsString() @IsIn(SCHEMA_REFS, { message: 'must be the profile or experience event schema' })
  id: string;

  @ApiPropertyOptional({ example: 'application/vnd.adobe.xed-full+json;version=1' })
  @IsOptional() @IsString() @MaxLength(200)
  contentType?: string;
}

/** POST /dataSets, as AEP's Catalog takes it (the subset this service stores). */
export class CreateDatasetDto {
  @ApiProperty({ example: 'CRM profiles' })
  @IsString() @IsNotEmpty() @MaxLength(500)
  name: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MaxLength(5000)
  description?: string;

  @ApiProperty({ type: SchemaRefDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => SchemaRefDto)
  schemaRef: SchemaRefDto;
}
