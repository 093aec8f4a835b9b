import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IDENTITY_GRAPH_TYPES, IdentityGraphType, PQL_TEXT_FORMAT, PROFILE_SCHEMA_NAME } from '@sx/domain';

/** AEP's predicateModel names: `_xdm.context.profile` in its examples, `xdm.model.profile` as the spec's default. */
export const PREDICATE_MODELS = [PROFILE_SCHEMA_NAME, 'xdm.model.profile'] as const;

/** Body of POST /preview, as AEP's Segmentation Service takes it. Unknown properties are refused by the global pipe. */
export class CreatePreviewDto {
  @ApiProperty({ example: 'homeAddress.country = "US"', description: "PQL text, checked as a segment definition's is (400 under predicateExpression)." })
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(100_000)
  predicateExpression: string;

  @ApiProperty({ enum: [PQL_TEXT_FORMAT], description: 'The only value AEP accepts.' })
  @IsIn([PQL_TEXT_FORMAT], { message: `must be "${PQL_TEXT_FORMAT}"` })
  predicateType: typeof PQL_TEXT_FORMAT;

  @ApiPropertyOptional({ enum: PREDICATE_MODELS, default: PROFILE_SCHEMA_NAME, description: 'The XDM class evaluated: profiles.' })
  @IsOptional()
  @IsIn(PREDICATE_MODELS, { message: `must be "${PREDICATE_MODELS.join('" or "')}"` })
  predicateModel?: string;

  @ApiPropertyOptional({
    enum: IDENTITY_GRAPH_TYPES,
    description: "Identity stitching: none (one profile per primary identity) or pdg (fragments sharing an identity merge). Defaults to the merge policy's.",
  })
  @IsOptional()
  @IsIn(IDENTITY_GRAPH_TYPES, { message: `must be "${IDENTITY_GRAPH_TYPES.join('" or "')}"` })
  graphType?: IdentityGraphType;

  // Not in AEP: the merge policy whose attribute merge the evaluation uses; the sandbox default when absent.
  @ApiPropertyOptional({ example: 'timestampOrdered-none-mp', description: 'Not an AEP field. A merge policy of the sandbox; defaults to the sandbox default.' })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'must not be empty' })
  @MaxLength(200)
  mergePolicyId?: string;

  // Seen in some clients; documented nowhere (AEP-API-NOTES.md 2): accepted and ignored.
  @ApiPropertyOptional({ description: 'Accepted and ignored (undocumented by AEP).' })
  @Allow()
  mergeStrategy?: unknown;
}
