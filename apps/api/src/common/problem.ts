import type { Response } from 'express';
import type { FieldProblem } from '@sx/domain';

/** The service-level error body (RFC 7807 style), identical for every error the service answers. */
export interface ProblemBody {
  type: string;
  status: number;
  title: string;
  detail: string;
  requestId: string;
  errors?: FieldProblem[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** The detail of every 400 that lists field problems. */
export const INVALID_REQUEST = 'The request is not valid; see errors.';

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Request Error');
}

export function problem(status: number, detail: string, requestId: string, errors?: FieldProblem[]): ProblemBody {
  const title = titleOf(status);
  const body: ProblemBody = {
    type: `urn:segment-export:problem:${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    status,
    title,
    detail,
    requestId,
  };
  if (errors?.length) body.errors = errors;
  return body;
}

/** The request id the request-id middleware put on the response. */
export function requestIdOf(res: Response): string {
  return String(res.getHeader('x-request-id') ?? '');
}

export function sendProblem(res: Response, status: number, detail: string, errors?: FieldProblem[]): void {
  if (status === 503) res.setHeader('Retry-After', '5');
  res.status(status).json(problem(status, detail, requestIdOf(res), errors));
}
