import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { GatewayGuard } from './gateway.guard';
import { ImsTokenController } from './ims-token.controller';

/** Token exchange plus the gateway guard, installed globally so that every route is protected
 * unless it says @Public(). */
@Module({
  controllers: [ImsTokenController],
  providers: [{ provide: APP_GUARD, useClass: GatewayGuard }],
})
export class AuthModule {}
