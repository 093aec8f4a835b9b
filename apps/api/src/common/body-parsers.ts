import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { IMPORT_PATH } from './paths';
import { sendProblem } from './problem';

interface ParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * Body parsers whose failures answer in the service's problem shape (they run before Nest's
 * router, so its exception filter never sees them). Messages are ours: no parser internals leak.
 */
function guarded(parser: RequestHandler, limitBytes: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as ParserError;
      switch (e.type) {
        case 'entity.parse.failed':
          return sendProblem(res, 400, 'The request body is not valid JSON.');
        case 'entity.too.large':
          return sendProblem(res, 413, `The request body is larger than the limit of ${limitBytes} bytes.`);
        case 'encoding.unsupported':
        case 'charset.unsupported':
          return sendProblem(res, 415, 'The request body encoding or charset is not supported; send UTF-8 JSON.');
        case 'request.aborted':
          return sendProblem(res, 400, 'The request body was not received completely.');
        default:
          return sendProblem(res, e.status && e.status < 500 ? e.status : 400, 'The request body could not be read.');
      }
    });
}

export function jsonBody(limitBytes: number): RequestHandler {
  return guarded(express.json({ limit: limitBytes, strict: true }), limitBytes);
}

export function formBody(limitBytes: number): RequestHandler {
  return guarded(express.urlencoded({ limit: limitBytes, extended: false }), limitBytes);
}

/** PUT of a batch file: the one request body that is a stream, not JSON to parse. */
export function isFileUpload(req: Request): boolean {
  return req.method === 'PUT' && req.path.startsWith(`${IMPORT_PATH}/batches/`);
}

export function unless(skip: (req: Request) => boolean, handler: RequestHandler): RequestHandler {
  return (req, res, next) => (skip(req) ? next() : handler(req, res, next));
}
