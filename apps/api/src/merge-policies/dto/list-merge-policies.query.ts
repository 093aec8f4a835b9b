import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

// Query strings are text: a whole number becomes a number, anything else stays text and fails IsInt.
const toInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

/** Query of GET /config/mergePolicies. `limit` above 1000 is capped, not refused (as AEP does). */
export class ListMergePoliciesQuery {
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE, description: 'Values above 1000 are capped at 1000.' })
  @IsOptional() @Transform(toInteger) @IsInt({ message: 'must be a whole number' }) @Min(1)
  limit?: number;

  @ApiPropertyOptional({ default: 0, description: 'Offset into the list, whose first entry is the built-in policy (as given in _links.next.href).' })
  @IsOptional() @Transform(toInteger) @IsInt({ message: 'must be a whole number' }) @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  start?: number;
}
