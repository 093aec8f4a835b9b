import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { LoggerService } from '@nestjs/common';
import { runWithRequestId } from '@sx/observability';

const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware of the API: gives every request an id (the caller's `x-request-id` when it is
 * sane, a uuid otherwise), echoes it on the response, makes it the context of every log line, and
 * writes one access log line when the response is done.
 */
export function requestContext(logger: LoggerService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.header('x-request-id');
    const requestId = given && ACCEPTABLE_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      runWithRequestId(requestId, () => {
        logger.log(
          {
            msg: 'request',
            method: req.method,
            path: req.originalUrl.split('?')[0],
            status: res.statusCode,
            durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
          },
          'Http',
        );
      });
    });
    runWithRequestId(requestId, next);
  };
}
