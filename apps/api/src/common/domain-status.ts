import type { DomainError } from '@sx/domain';

/** HTTP status of each kind of domain error. */
export const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  validation: 400,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'too-large': 413,
  unavailable: 503,
  'not-implemented': 501,
  'too-many': 429,
};
