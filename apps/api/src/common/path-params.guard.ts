import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ValidationFailed } from '@sx/domain';
import { inputProblems } from './input-scan';

/**
 * The path parameters of every route get the same checks as bodies and queries (a NUL in a merge
 * policy id reached PostgreSQL). A guard because parameters exist only after routing, and it runs
 * before every pipe and param decorator; global, so no controller can forget it.
 */
@Injectable()
export class PathParamsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    // Parameters are flat text: a depth of 2 is never reached.
    const problems = inputProblems(context.switchToHttp().getRequest<{ params?: unknown }>().params, 2);
    if (problems.length) throw new ValidationFailed(problems);
    return true;
  }
}
