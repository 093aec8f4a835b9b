import { ApiProperty } from '@nestjs/swagger';

/** Form fields of POST /ims/token/v3 (Adobe IMS OAuth server-to-server). Checked by the controller
 * so that failures answer in the OAuth error shape, as IMS does. */
export class TokenRequestDto {
  @ApiProperty({ example: 'client_credentials' })
  grant_type?: string;

  @ApiProperty({ description: 'The API client id (also its x-api-key).' })
  client_id?: string;

  @ApiProperty()
  client_secret?: string;

  @ApiProperty({ required: false, description: 'Accepted and ignored (IMS scopes).' })
  scope?: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token: string;
  @ApiProperty({ example: 'bearer' }) token_type: 'bearer';
  @ApiProperty({ description: 'Seconds until the token expires.', example: 86400 }) expires_in: number;
}
