import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ATTRIBUTE_MERGE_TYPES, IDENTITY_GRAPH_TYPES } from '@sx/domain';
import { PageLimitQuery, toInteger } from '../../common/page-limit.query';
import { toBoolean } from '../../common/query-boolean';

// `+name` arrives as " name": a query string's + is a space.
const ORDER = /^([+ -]?name)?$/;
const ORDER_MESSAGE = 'must be name, +name or -name';

/**
 * Query of GET /config/mergePolicies, AEP's parameters. `limit` above 1000 is capped, not refused.
 * `orderBy` is also taken as the spec's `orderby`.
 */
export class ListMergePoliciesQuery extends PageLimitQuery {
  @ApiPropertyOptional({ default: 0, description: 'Offset into the list (as given in _links.next.href).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  start?: number;

  @ApiPropertyOptional({ example: '-name', description: 'name or +name: by name ascending (the default); -name: descending.' })
  @IsOptional()
  @IsString()
  @Matches(ORDER, { message: ORDER_MESSAGE })
  orderBy?: string;

  @ApiPropertyOptional({ description: "The spec's spelling of orderBy." })
  @IsOptional()
  @IsString()
  @Matches(ORDER, { message: ORDER_MESSAGE })
  orderby?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  default?: boolean;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  isActiveOnEdge?: boolean;

  @ApiPropertyOptional({ name: 'schema.name', example: '_xdm.context.profile' })
  @IsOptional()
  @IsString()
  'schema.name'?: string;

  @ApiPropertyOptional({ name: 'identityGraph.type', enum: IDENTITY_GRAPH_TYPES })
  @IsOptional()
  @IsIn(IDENTITY_GRAPH_TYPES)
  'identityGraph.type'?: string;

  @ApiPropertyOptional({ name: 'attributeMerge.type', enum: ATTRIBUTE_MERGE_TYPES })
  @IsOptional()
  @IsIn(ATTRIBUTE_MERGE_TYPES)
  'attributeMerge.type'?: string;

  @ApiPropertyOptional({ description: 'Policies at this version (no history is kept: the current version).' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  version?: number;
}
