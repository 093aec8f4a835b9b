import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from '@sx/observability';

/**
 * Every request's duration, by method, route pattern (`/data/core/ups/export/jobs/:id`, never the
 * id itself) and status code. Requests no route matched count as `unmatched`: a bounded label set.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      end({ method: req.method, route: typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched', status_code: String(res.statusCode) });
    });
    next();
  };
}
