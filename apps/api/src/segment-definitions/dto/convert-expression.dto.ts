import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { PROFILE_SCHEMA_NAME } from '@sx/domain';
import { SegmentExpressionDto, SegmentSchemaDto } from './create-segment-definition.dto';

/**
 * Body of POST /segment/conversion: AEP's is definition-like (name, expression, schema,
 * ttlInDays); only the expression is converted, the rest is checked and, where AEP does, echoed.
 */
export class ConvertExpressionDto {
  @ApiPropertyOptional({ example: 'People who ordered in the last 30 days' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  name?: string;

  @ApiPropertyOptional({ example: 'Home address in the US' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiProperty({ type: SegmentExpressionDto, description: 'pql/text is converted to pql/json, pql/json to pql/text.' })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SegmentExpressionDto)
  expression: SegmentExpressionDto;

  @ApiPropertyOptional({ type: SegmentSchemaDto, description: `Defaults to {"name": "${PROFILE_SCHEMA_NAME}"}.` })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SegmentSchemaDto)
  schema?: SegmentSchemaDto;

  @ApiPropertyOptional({ example: 60, description: 'Echoed (older AEP revisions).' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(36_500)
  ttlInDays?: number;

  @ApiPropertyOptional({ enum: ['ups'] })
  @IsOptional()
  @IsIn(['ups'], { message: 'must be "ups"' })
  profileInstanceId?: string;

  // AEP's conversion example sends payloadSchema, and aepp sends imsOrgId: neither is echoed by
  // AEP's response, so both are type-checked and ignored.
  @ApiPropertyOptional({ description: 'Accepted and ignored.' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  payloadSchema?: string;

  @ApiPropertyOptional({ description: "Accepted and ignored (the caller's org is used)." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  imsOrgId?: string;
}
