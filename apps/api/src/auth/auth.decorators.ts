import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Caller } from '@sx/domain';

export const IS_PUBLIC = 'sx:isPublic';

/** Opts a route out of the gateway guard (the token endpoint). Everything else needs a token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The authenticated caller that the gateway guard put on the request. */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  return ctx.switchToHttp().getRequest<{ caller: Caller }>().caller;
});
