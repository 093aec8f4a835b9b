import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DEFAULT_SEGMENT_NAMESPACE, LIFECYCLE_STATES, PQL_FORMATS, PQL_TEXT_FORMAT, PROFILE_INSTANCE_ID, PROFILE_SCHEMA_NAME, PqlExpressionFormat } from '@sx/domain';
import { AEP_READ_ONLY_FIELDS, AepReadOnlyFieldsDto } from '../../common/read-only-fields';
import { EvaluationInfoDto } from './evaluation-info.dto';

// Request body of POST and PATCH /segment/definitions(/{id}), as AEP's Segmentation Service takes
// it: every field AEP documents is accepted (stored and echoed, or accepted and ignored where it is
// read-only); unknown properties are refused by the global pipe.

/** The $id of the XDM class `_xdm.context.profile`: AEP's `schema` may name the class by either. */
export const PROFILE_SCHEMA_ID = 'https://ns.adobe.com/xdm/context/profile';

export class SegmentExpressionDto {
  @ApiProperty({ enum: ['PQL'], example: 'PQL' })
  @IsIn(['PQL'], { message: 'must be "PQL"' })
  type: 'PQL';

  @ApiProperty({
    enum: PQL_FORMATS,
    example: PQL_TEXT_FORMAT,
    description: "pql/text: PQL source. pql/json: the same tree as AEP's JSON AST (fnApply, fieldLookup, literal...), JSON-encoded in `value`.",
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
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(100_000)
  value: string;
}

export class SegmentSchemaDto {
  @ApiPropertyOptional({ example: PROFILE_SCHEMA_NAME, enum: [PROFILE_SCHEMA_NAME], description: 'Required unless `id` is sent.' })
  @ValidateIf((o: SegmentSchemaDto) => o.id === undefined || o.name !== undefined)
  @IsString()
  @IsIn([PROFILE_SCHEMA_NAME], { message: `must be "${PROFILE_SCHEMA_NAME}", the profile class this service segments` })
  name?: string;

  @ApiPropertyOptional({ example: PROFILE_SCHEMA_ID, enum: [PROFILE_SCHEMA_ID], description: 'The same class by its XDM $id (AEP: "either an id or name").' })
  @IsOptional()
  @IsString()
  @IsIn([PROFILE_SCHEMA_ID], { message: `must be "${PROFILE_SCHEMA_ID}", the profile class this service segments` })
  id?: string;
}

/** AEP adds it to every definition; read-only here (see the presenter). */
export class DataGovernancePolicyDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  excludeOptOut?: boolean;
}

export class CreateSegmentDefinitionDto extends AepReadOnlyFieldsDto {
  // Not in AEP (it always makes the id): accepted so that definitions can keep the ids that
  // ingested segmentMembership already refers to (sample data, migrations from AEP). 409 if taken.
  @ApiPropertyOptional({ format: 'uuid', description: 'Optional client-chosen id; generated when absent.' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a uuid' })
  id?: string;

  @ApiProperty({ example: 'People in the US' })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(1000)
  name: string;

  @ApiPropertyOptional({ example: 'Home address in the US' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string;

  @ApiPropertyOptional({ example: DEFAULT_SEGMENT_NAMESPACE, description: `Defaults to "${DEFAULT_SEGMENT_NAMESPACE}".` })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(100)
  namespace?: string;

  @ApiPropertyOptional({ example: 'timestampOrdered-none-mp', description: 'A merge policy of the sandbox; defaults to the sandbox default policy at creation time.' })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(200)
  mergePolicyId?: string;

  @ApiProperty({ type: SegmentExpressionDto })
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

  // AEP's own create examples send it; there is one profile store, so only its id is accepted.
  @ApiPropertyOptional({ enum: [PROFILE_INSTANCE_ID], example: PROFILE_INSTANCE_ID })
  @IsOptional()
  @IsIn([PROFILE_INSTANCE_ID], { message: `must be "${PROFILE_INSTANCE_ID}"` })
  profileInstanceId?: string;

  @ApiPropertyOptional({
    type: EvaluationInfoDto,
    description: 'Batch when omitted. Only batch evaluation is built: streaming (continuous) or edge (synchronous) `enabled: true` is a 400.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EvaluationInfoDto)
  evaluationInfo?: EvaluationInfoDto;

  @ApiPropertyOptional({ example: 60, description: 'Stored and echoed (older AEP revisions); nothing expires here.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(36_500)
  ttlInDays?: number;

  @ApiPropertyOptional({ example: 'string', description: 'Stored and echoed.' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  payloadSchema?: string;

  // /audiences fields that clients send on definitions: stored as given and echoed (AEP-API-NOTES 4).

  @ApiPropertyOptional({ description: '/audiences field: stored and echoed.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  audienceId?: string;

  @ApiPropertyOptional({ example: 'SegmentDefinition', description: '/audiences field: stored and echoed.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ type: [String], example: ['core/C1'], description: '/audiences field: stored and echoed.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  labels?: string[];

  @ApiPropertyOptional({ enum: LIFECYCLE_STATES, description: '/audiences field: stored and echoed.' })
  @IsOptional()
  @IsIn(LIFECYCLE_STATES)
  lifecycleState?: string;

  @ApiPropertyOptional({ example: 'REAL_TIME_CUSTOMER_PROFILE', description: '/audiences field: stored and echoed.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  originName?: string;

  @ApiPropertyOptional({ type: [String], description: '/audiences field: stored and echoed (not computed from inSegment).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  dependents?: string[];

  @ApiPropertyOptional({ type: [String], description: '/audiences field: stored and echoed (not computed from inSegment).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  dependencies?: string[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: '/audiences field: stored as given and echoed.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  definedOn?: Record<string, unknown>[];

  // Read-only fields of AEP's response, sent back by GET-then-write clients and by AEP's own PATCH
  // example: type-checked, then ignored (debug log).

  @ApiPropertyOptional({ type: DataGovernancePolicyDto, description: 'Read-only: ignored.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DataGovernancePolicyDto)
  dataGovernancePolicy?: DataGovernancePolicyDto;

  @ApiPropertyOptional({ description: 'Read-only (epoch ms): ignored.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  creationTime?: number;

  @ApiPropertyOptional({ description: 'Read-only (epoch ms): ignored.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  updateTime?: number;

  @ApiPropertyOptional({ description: 'Read-only (epoch s, list items in AEP): ignored.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  baselineTime?: number;
}

/** The read-only fields above, as the service logs them when ignored. */
export const READ_ONLY_DEFINITION_FIELDS = [...AEP_READ_ONLY_FIELDS, 'dataGovernancePolicy', 'creationTime', 'updateTime', 'baselineTime'] as const;
