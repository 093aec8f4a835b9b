import { ApiProperty } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';

/**
 * Query of the import API's `?action=` POSTs: `action` alone (its value is matched by
 * parseAction, case-insensitively); any other parameter is a 400 naming it, as everywhere.
 */
export class ActionQuery {
  @ApiProperty({ description: 'Matched case-insensitively' })
  @IsDefined({ message: 'is required' })
  action: unknown;
}
