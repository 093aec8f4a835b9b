import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { CHAIN_ID_PATTERN, MAX_EXPORT_PARTITIONS, OUTPUT_FORMATS, OutputFormat, SEGMENT_STATUSES, SegmentStatus } from '@sx/domain';
import { IsIsoTimestamp } from './is-iso-timestamp';

// Request body of POST /export/jobs, field for field as the AEP reference lists it. Unknown
// properties are refused by the global pipe; every nested object is validated as its class.

export class MergePolicyRefDto {
  @ApiProperty({ example: 'timestampOrdered-none-mp' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id: string;

  @ApiPropertyOptional({ example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

export class SegmentFilterDto {
  @ApiProperty({ example: '52c26d0d-45f2-47a2-ab30-ed06abc981ff' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  segmentId: string;

  @ApiPropertyOptional({ example: 'ups', description: 'Defaults to "ups".' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  segmentNs?: string;

  @ApiPropertyOptional({ enum: SEGMENT_STATUSES, isArray: true, description: 'Defaults to ["realized"]; "existing" counts as realized.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(SEGMENT_STATUSES, { each: true })
  status?: SegmentStatus[];
}

export class SegmentQualificationTimeDto {
  @ApiPropertyOptional({ example: '2018-01-01T00:00:00Z' })
  @IsOptional()
  @IsIsoTimestamp()
  startTime?: string;

  @ApiPropertyOptional({ example: '2018-02-01T00:00:00Z' })
  @IsOptional()
  @IsIsoTimestamp()
  endTime?: string;
}

export class ExportFilterDto {
  @ApiPropertyOptional({ type: [SegmentFilterDto], description: 'Omitted: every profile.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => SegmentFilterDto)
  segments?: SegmentFilterDto[];

  @ApiPropertyOptional({ type: SegmentQualificationTimeDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SegmentQualificationTimeDto)
  segmentQualificationTime?: SegmentQualificationTimeDto;

  @ApiPropertyOptional({ example: '2018-01-01T00:00:00Z' })
  @IsOptional()
  @IsIsoTimestamp()
  fromIngestTimestamp?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  emptyProfiles?: boolean;

  @ApiPropertyOptional({
    example: 'crm-daily',
    description:
      'Not in AEP. Makes this export a link of an incremental chain: it exports the profiles changed by batches committed since the previous succeeded export of the same chain (the first link: every profile), each as it stood when this export started. One unfinished export per chain (409 otherwise). Not with fromIngestTimestamp, nor with the pdg identity graph.',
  })
  @IsOptional()
  @IsString()
  @Matches(CHAIN_ID_PATTERN, { message: 'chainId must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit' })
  chainId?: string;
}

export class EventListFilterDto {
  @ApiPropertyOptional({ example: '2018-01-01T00:00:00Z' })
  @IsOptional()
  @IsIsoTimestamp()
  fromIngestTimestamp?: string;

  @ApiPropertyOptional({ example: '2020-01-01T00:00:00Z' })
  @IsOptional()
  @IsIsoTimestamp()
  toIngestTimestamp?: string;
}

export class EventListDto {
  @ApiPropertyOptional({ example: '_id, _experience' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  fields?: string;

  @ApiPropertyOptional({ type: EventListFilterDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EventListFilterDto)
  filter?: EventListFilterDto;
}

export class AdditionalFieldsDto {
  @ApiPropertyOptional({ type: EventListDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EventListDto)
  eventList?: EventListDto;
}

export class DestinationDto {
  @ApiProperty({ example: '5b7c86968f7b6501e21ba9df' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  datasetId: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  segmentPerBatch?: boolean;

  @ApiPropertyOptional({
    enum: OUTPUT_FORMATS,
    default: 'parquet',
    description:
      'Not in AEP (its datasets are Parquet): "jsonl" writes JSON Lines files instead; "csv" writes CSV files (RFC 4180, a header row, one column per `fields` path: `fields` is then required, and may not name an array such as identities or identityMap.<namespace>; no additionalFields.eventList).',
  })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  outputFormat?: OutputFormat;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_EXPORT_PARTITIONS,
    description:
      'Not in AEP: how many key-range partitions write the job at once, each a job any worker on any host may take. Unset: 1, or more when the sandbox holds over EXPORT_PARTITION_PROFILES profiles. Not with evaluationInfo.segmentation.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EXPORT_PARTITIONS)
  partitions?: number;
}

export class SchemaRefDto {
  @ApiProperty({ example: '_xdm.context.profile' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class EvaluationInfoDto {
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  segmentation?: boolean;
}

export class CreateExportJobDto {
  @ApiPropertyOptional({ example: 'identities.id,personalEmail.address', description: 'Comma-separated dot paths; blank exports every field.' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  fields?: string;

  @ApiPropertyOptional({ type: MergePolicyRefDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MergePolicyRefDto)
  mergePolicy?: MergePolicyRefDto;

  @ApiPropertyOptional({ type: ExportFilterDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ExportFilterDto)
  filter?: ExportFilterDto;

  @ApiPropertyOptional({ type: AdditionalFieldsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AdditionalFieldsDto)
  additionalFields?: AdditionalFieldsDto;

  @ApiProperty({ type: DestinationDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => DestinationDto)
  destination: DestinationDto;

  @ApiProperty({ type: SchemaRefDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SchemaRefDto)
  schema: SchemaRefDto;

  @ApiPropertyOptional({ type: EvaluationInfoDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EvaluationInfoDto)
  evaluationInfo?: EvaluationInfoDto;

  @ApiPropertyOptional({
    default: false,
    description: 'Not in AEP: validate, plan and count without writing a batch (as ?dryRun=true; the two must agree). See README "Dry runs".',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}
