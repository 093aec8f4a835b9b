import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from '../common/problem';

/** POST bodies of the export API must be JSON objects: say so with a 415/400 instead of
 * validating an empty body. */
@Injectable()
export class RequireJsonObjectMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'POST') return next();
    if (!req.is('application/json')) {
      return sendProblem(res, 415, 'Content-Type must be application/json.');
    }
    if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      return sendProblem(res, 400, 'The request body must be a JSON object.');
    }
    next();
  }
}
