import { createParamDecorator } from '@nestjs/common';
import { ValidationFailed } from '@sx/domain';

/**
 * A path parameter checked against a pattern; a mismatch is a 400 naming the parameter. Custom
 * decorators, not pipes: the global ValidationPipe would coerce the text before a pipe saw it.
 */
export function PathParam(name: string, pattern: RegExp, message: string) {
  return createParamDecorator((_: unknown, ctx): string => {
    const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params[name] ?? '');
    if (!pattern.test(value)) throw new ValidationFailed([{ path: name, message }]);
    return value;
  })();
}

export const HEX24 = /^[0-9a-f]{24}$/;
export const HEX32 = /^[0-9a-f]{32}$/;
