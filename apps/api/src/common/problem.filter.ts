import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ValidationFailed } from '@sx/domain';
import { DOMAIN_STATUS } from './domain-status';
import { INVALID_REQUEST, sendProblem } from './problem';

/** Errors that must answer in a non-problem shape (AEP gateway, IMS token endpoint). */
export interface ShapedError {
  status: number;
  body: Record<string, unknown>;
}

export function isShapedError(e: unknown): e is Error & ShapedError {
  return e instanceof Error && 'body' in e && 'status' in e && typeof (e as ShapedError).status === 'number';
}

/**
 * The one exception filter: every error gets the same body. Internals (stacks, SQL, class names)
 * are logged, never sent; an unexpected error is a bare 500.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (isShapedError(exception)) {
      res.status(exception.status).json(exception.body);
      return;
    }
    if (exception instanceof ValidationFailed) {
      sendProblem(res, 400, INVALID_REQUEST, exception.problems);
      return;
    }
    if (exception instanceof DomainError) {
      sendProblem(res, DOMAIN_STATUS[exception.kind], exception.message);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status >= 500) this.logger.error(exception.message, exception.stack);
      sendProblem(res, status, status >= 500 ? 'An unexpected error occurred.' : publicMessage(exception, status));
      return;
    }
    this.logger.error(exception instanceof Error ? exception.message : String(exception), exception instanceof Error ? exception.stack : undefined);
    sendProblem(res, 500, 'An unexpected error occurred.');
  }
}

function publicMessage(e: HttpException, status: number): string {
  if (status === 404) return 'No such resource.';
  const response = e.getResponse();
  const message = typeof response === 'object' && response && 'message' in response ? response.message : response;
  return Array.isArray(message) ? message.join('; ') : String(message);
}
