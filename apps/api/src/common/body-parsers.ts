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
function guarded(parser: RequestHandler, limitBytes: number, parses: (req: Request) => boolean = () => true): RequestHandler {
  // Only for the bodies this parser reads: /ims takes JSON (1 MiB) as well as forms (16 KiB).
  const declared = onlyIf(parses, declaredLengthLimit(limitBytes, 'The request body'));
  return (req: Request, res: Response, next: NextFunction) =>
    declared(req, res, () =>
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
      }),
    );
}

/**
 * A declared Content-Length over the limit is answered 413 before a byte of the body is read.
 * body-parser finds it too, but then reads (and discards) the whole declared body before
 * answering, so a client declaring 100 MB held the request open for as long as it liked.
 * `Connection: close` makes Node close the socket once the answer is written instead of reading
 * the rest of the body to reuse the connection. A chunked body (no Content-Length) is still
 * limited by the parser as it arrives.
 */
export function declaredLengthLimit(limitBytes: number, what: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared > limitBytes)) return next();
    res.setHeader('Connection', 'close');
    sendProblem(res, 413, `${what} is larger than the limit of ${limitBytes} bytes.`);
  };
}

export function jsonBody(limitBytes: number): RequestHandler {
  // `application/*+json` too: AEP's PATCH bodies are `application/json-patch+json` (RFC 6902).
  return guarded(express.json({ limit: limitBytes, strict: true, type: ['application/json', 'application/*+json'] }), limitBytes);
}

export function formBody(limitBytes: number): RequestHandler {
  return guarded(express.urlencoded({ limit: limitBytes, extended: false }), limitBytes, (req) => Boolean(req.is('urlencoded')));
}

/** PUT of a batch file, or PATCH of a large file's chunk: the request bodies that are streams, not JSON to parse. */
export function isFileUpload(req: Request): boolean {
  return (req.method === 'PUT' || req.method === 'PATCH') && req.path.startsWith(`${IMPORT_PATH}/batches/`);
}

export function onlyIf(test: (req: Request) => boolean, handler: RequestHandler): RequestHandler {
  return (req, res, next) => (test(req) ? handler(req, res, next) : next());
}

export function unless(skip: (req: Request) => boolean, handler: RequestHandler): RequestHandler {
  return (req, res, next) => (skip(req) ? next() : handler(req, res, next));
}
