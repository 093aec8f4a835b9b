import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ATTRIBUTE_MERGE_TYPES, AttributeMergeType, IDENTITY_GRAPH_TYPES, IdentityGraphType, PROFILE_SCHEMA_NAME } from '@sx/domain';
import { AEP_READ_ONLY_FIELDS, AepReadOnlyFieldsDto } from '../../common/read-only-fields';

// Request body of POST /config/mergePolicies and PUT /config/mergePolicies/{id}, as AEP's
// Real-Time Customer Profile API takes it. The read-only fields of AEP's responses (id, imsOrgId,
// sandbox, version, updateEpoch) are accepted and ignored, so that a policy read with GET can be
// sent back as it is. Unknown properties are refused by the global pipe; nested objects are
// validated as their class.

export class AttributeMergeDto {
  @ApiProperty({ enum: ATTRIBUTE_MERGE_TYPES, example: 'dataSetPrecedence' })
  @IsIn(ATTRIBUTE_MERGE_TYPES)
  type: AttributeMergeType;

  @ApiPropertyOptional({
    type: [String],
    example: ['5b76f86b85d0e00000be5c8b', '5b76f8d787a6af01e2ceda18'],
    description: "Dataset ids, highest precedence first. Required for dataSetPrecedence; under timestampOrdered accepted (AEP's own examples send it) and ignored.",
  })
  @ValidateIf((o: AttributeMergeDto) => o.type === 'dataSetPrecedence' || o.order != null)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique({ message: 'must not list a dataset twice' })
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  order?: string[];
}

export class IdentityGraphDto {
  @ApiProperty({ enum: IDENTITY_GRAPH_TYPES, example: 'none', description: 'none: fragments merge on their primary identity; pdg: on any shared identity.' })
  @IsIn(IDENTITY_GRAPH_TYPES)
  type: IdentityGraphType;
}

export class ProfileSchemaDto {
  @ApiProperty({ example: PROFILE_SCHEMA_NAME, enum: [PROFILE_SCHEMA_NAME] })
  @IsString()
  @IsIn([PROFILE_SCHEMA_NAME], { message: `must be "${PROFILE_SCHEMA_NAME}", the profile class this service merges` })
  name: string;
}

export class CreateMergePolicyDto extends AepReadOnlyFieldsDto {
  @ApiProperty({ example: 'Loyalty members ordered by ID' })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(255)
  name: string;

  @ApiProperty({ type: AttributeMergeDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => AttributeMergeDto)
  attributeMerge: AttributeMergeDto;

  @ApiProperty({ type: IdentityGraphDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => IdentityGraphDto)
  identityGraph: IdentityGraphDto;

  @ApiPropertyOptional({ type: ProfileSchemaDto, description: `Defaults to {"name": "${PROFILE_SCHEMA_NAME}"}.` })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProfileSchemaDto)
  schema?: ProfileSchemaDto;

  @ApiPropertyOptional({ default: false, description: 'true makes this the sandbox default; the previous default stops being one.' })
  @IsOptional()
  @IsBoolean()
  default?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Stored and echoed (edge segmentation is not built here). At most one policy of a sandbox may be active on edge.' })
  @IsOptional()
  @IsBoolean()
  isActiveOnEdge?: boolean;

  @ApiPropertyOptional({ description: "Read-only: ignored (ids are made by the service; PUT takes the path's)." })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  id?: string;

  @ApiPropertyOptional({ description: 'Read-only: ignored (1 on create, +1 per update).' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  version?: number;
}

/** The read-only fields above, as the service logs them when ignored. */
export const READ_ONLY_POLICY_FIELDS = ['id', 'version', ...AEP_READ_ONLY_FIELDS] as const;
