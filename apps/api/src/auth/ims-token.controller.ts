import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@sx/config';
import { verifyClientSecret } from '@sx/domain';
import { ApiClientRepository } from '@sx/persistence';
import { signAccessToken } from './access-token';
import { Public } from './auth.decorators';
import { OAuthError } from './auth-errors';
import { TokenRequestDto, TokenResponseDto } from './dto/token-request.dto';

/** Client-credentials exchange in the style of Adobe IMS: form in, bearer token out. */
@ApiTags('auth')
@Controller('ims/token')
export class ImsTokenController {
  constructor(
    private readonly config: AppConfig,
    private readonly clients: ApiClientRepository,
  ) {}

  @Public()
  @Post('v3')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  // A plain record on purpose: the global ValidationPipe skips it, and failures answer in OAuth's shape.
  async issue(@Body() form: Record<string, unknown> = {}): Promise<TokenResponseDto> {
    const field = (name: keyof TokenRequestDto) => (typeof form[name] === 'string' ? form[name] : undefined);
    const grantType = field('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    }
    const clientId = field('client_id');
    const secret = field('client_secret');
    if (!clientId || !secret) throw new OAuthError(400, 'invalid_request', 'client_id and client_secret are required');
    const client = await this.clients.findById(clientId);
    if (!client || !(await verifyClientSecret(secret, client.secretHash))) {
      throw new OAuthError(401, 'invalid_client', 'Unknown client or wrong client_secret');
    }
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.config.TOKEN_TTL_SECONDS;
    const token = signAccessToken({ sub: client.clientId, client_id: client.clientId, org: client.orgId, iat: now, exp: now + ttl }, this.config.jwtSecret);
    return { access_token: token, token_type: 'bearer', expires_in: ttl };
  }
}
