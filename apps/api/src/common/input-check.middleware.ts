import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { inputProblems } from './input-scan';
import { INVALID_REQUEST, sendProblem } from './problem';

/**
 * Runs right after the body parsers, before routing: every parsed body (JSON or form) and every
 * query string of every route is walked once (see inputProblems) and refused with a 400 naming
 * each offending field. Path parameters exist only once a route matched: PathParamsGuard.
 */
export function checkedInput(maxDepth: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const problems = [...inputProblems(req.body, maxDepth), ...inputProblems(req.query, maxDepth)];
    if (problems.length) return sendProblem(res, 400, INVALID_REQUEST, problems);
    next();
  };
}
