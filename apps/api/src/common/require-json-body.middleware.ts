import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from './problem';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

function check(req: Request, res: Response, next: NextFunction, arrayOnPatch: boolean): void {
  if (!WRITES.has(req.method)) return next();
  if (!req.is('application/json')) return sendProblem(res, 415, 'Content-Type must be application/json.');
  const body: unknown = req.body;
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  if (isObject || (arrayOnPatch && req.method === 'PATCH' && Array.isArray(body))) return next();
  return sendProblem(res, 400, arrayOnPatch && req.method === 'PATCH' ? 'The request body must be a JSON object or array.' : 'The request body must be a JSON object.');
}

/**
 * Write bodies (POST, PUT, PATCH) must be JSON objects: a 415/400 that says so instead of a
 * validation of nothing. The export API's RequireJsonObjectMiddleware does the same for POST only.
 */
@Injectable()
export class RequireJsonObjectBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    check(req, res, next, false);
  }
}

/** As RequireJsonObjectBodyMiddleware, but a PATCH may also send an array (AEP's merge-policy PATCH: one operation or several). */
@Injectable()
export class RequireJsonPatchBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    check(req, res, next, true);
  }
}
