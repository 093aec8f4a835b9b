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

/** One path parameter's rule: the pattern it must match, and what the 400 says when it does not. */
export interface PathRule {
  pattern: RegExp;
  message: string;
}

/**
 * Several path parameters read as one object, each checked by its rule; every mismatch is named in
 * one 400. For routes whose handlers all take the same parameters.
 */
export function PathParams<K extends string>(rules: Record<K, PathRule>) {
  return createParamDecorator((_: unknown, ctx): Record<K, string> => {
    const params = ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params;
    const values = {} as Record<K, string>;
    const problems: Array<{ path: string; message: string }> = [];
    for (const name of Object.keys(rules) as K[]) {
      values[name] = String(params[name] ?? '');
      if (!rules[name].pattern.test(values[name])) problems.push({ path: name, message: rules[name].message });
    }
    if (problems.length) throw new ValidationFailed(problems);
    return values;
  })();
}

export const HEX24 = /^[0-9a-f]{24}$/;
export const HEX32 = /^[0-9a-f]{32}$/;
