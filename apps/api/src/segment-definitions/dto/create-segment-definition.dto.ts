import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DEFAULT_SEGMENT_NAMESPACE, PQL_FORMATS, PQL_TEXT_FORMAT, PROFILE_INSTANCE_ID, PROFILE_SCHEMA_NAME, PqlExpressionFormat } from '@sx/domain';

// Request body of POST /segment/definitions, as AEP's Segmentation Service takes it (the parts this
// service stores). Unknown properties are refused by the global pipe.

export class SegmentExpressionDto {
  @ApiProperty({ enum: ['PQL'], example: 'PQL' })
  @IsIn(['PQL'], { message: 'must be "PQL"' })
  type: 'PQL';

  @ApiProperty({
    enum: PQL_FORMATS,
    example: PQL_TEXT_FORMAT,
    description: 'pql/text: PQL source. pql/json: the same tree as AEP\'s JSON AST (fnApply, fieldLookup, literal...), JSON-encoded in `value`.',
  })
  @IsIn(PQL_FORMATS, { message: `must be "${PQL_FORMATS.join('" or "')}"` })
  format: PqlExpressionFormat;

  @ApiProperty({
    example: 'homeAddress.country = "US"',
    description:
      'Stored and returned as given. Parsed and checked when the definition is created: a syntax error, a construct ' +
      'the evaluator does not build, an inSegment() naming no definition of this sandbox, or a cycle of inSegment() ' +
      'references is a 400 under expression.value with the position (e.g. "unsupported construct \'forall\' at 1:17"). ' +
      'Segment jobs, previews and exports with evaluation compute its members.',
  })
  @IsString() @Matches(/\S/, { message: 'must not be empty' }) @MaxLength(100_000)
  value: string;
}

export class SegmentSchemaDto {
  @ApiProperty({ example: PROFILE_SCHEMA_NAME, enum: [PROFILE_SCHEMA_NAME] })
  @IsString()
  @IsIn([PROFILE_SCHEMA_NAME], { message: `must be "${PROFILE_SCHEMA_NAME}", the profile class this service segments` })
  name: string;
}

export class CreateSegmentDefinitionDto {
  // Not in AEP (it always makes the id): accepted so that definitions can keep the ids that
  // ingested segmentMembership already refers to (sample data, migrations from AEP). 409 if taken.
  @ApiPropertyOptional({ format: 'uuid', description: 'Optional client-chosen id; generated when absent.' })
  @IsOptional() @IsUUID('all', { message: 'must be a uuid' })
  id?: string;

  @ApiProperty({ example: 'People in the US' })
  @IsString() @Matches(/\S/, { message: 'must not be empty' }) @MaxLength(1000)
  name: string;

  @ApiPropertyOptional({ example: 'Home address in the US' })
  @IsOptional() @IsString() @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ example: DEFAULT_SEGMENT_NAMESPACE, description: `Defaults to "${DEFAULT_SEGMENT_NAMESPACE}".` })
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be empty' }) @MaxLength(100)
  namespace?: string;

  @ApiPropertyOptional({ example: 'timestampOrdered-none-mp', description: 'A merge policy of the sandbox; defaults to the sandbox default policy at creation time.' })
  @IsOptional() @IsString() @Matches(/\S/, { message: 'must not be empty' }) @MaxLength(200)
  mergePolicyId?: string;

  @ApiProperty({ type: SegmentExpressionDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => SegmentExpressionDto)
  expression: SegmentExpressionDto;

  @ApiPropertyOptional({ type: SegmentSchemaDto, description: `Defaults to {"name": "${PROFILE_SCHEMA_NAME}"}.` })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SegmentSchemaDto)
  schema?: SegmentSchemaDto;

  // AEP's own create examples send it; there is one profile store, so only its id is accepted.
  @ApiPropertyOptional({ enum: [PROFILE_INSTANCE_ID], example: PROFILE_INSTANCE_ID })
  @IsOptional() @IsIn([PROFILE_INSTANCE_ID], { message: `must be "${PROFILE_INSTANCE_ID}"` })
  profileInstanceId?: string;
}
