import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '@sx/config';
import type { Caller } from '@sx/domain';
import { ApiClientRepository } from '@sx/persistence';
import { verifyAccessToken } from './access-token';
import { IS_PUBLIC } from './auth.decorators';
import { GatewayError } from './auth-errors';

/**
 * What AEP's gateway checks, in its order: a bearer token, an API key that belongs to it, the org
 * header equal to the client's org, and a sandbox the client may use. The result is the Caller,
 * the one tenancy that the rest of the request runs in.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly clients: ApiClientRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request & { caller?: Caller }>();

    const authorization = req.header('authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!bearer) throw GatewayError.tokenMissing();
    const claims = verifyAccessToken(bearer[1], this.config.jwtSecret);
    if (!claims) throw GatewayError.tokenInvalid();

    const apiKey = req.header('x-api-key');
    if (!apiKey) throw GatewayError.apiKeyMissing();
    if (apiKey !== claims.client_id) throw GatewayError.apiKeyInvalid();
    const client = await this.clients.findById(claims.sub);
    if (!client) throw GatewayError.tokenInvalid(); // the client was removed after the token was issued

    const orgId = req.header('x-gw-ims-org-id');
    if (!orgId) throw GatewayError.headerMissing('x-gw-ims-org-id');
    if (orgId !== client.orgId) throw new ForbiddenException(`The client is not a member of organization "${orgId}".`);

    const sandboxName = req.header('x-sandbox-name');
    if (!sandboxName) throw GatewayError.headerMissing('x-sandbox-name');
    if (!client.sandboxes.includes(sandboxName)) {
      throw new ForbiddenException(`The client may not use sandbox "${sandboxName}".`);
    }
    req.caller = { clientId: client.clientId, orgId, sandboxName };
    return true;
  }
}
