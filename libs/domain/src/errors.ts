/**
 * Errors that services raise and the API's one exception filter turns into responses. They carry
 * no HTTP types so that workers and libraries can use them too.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'not-found' | 'conflict' | 'unprocessable' | 'too-large' | 'unavailable' | 'not-implemented' | 'too-many';
}

export class ValidationFailed extends DomainError {
  readonly kind = 'validation' as const;
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}

export class NotFound extends DomainError {
  readonly kind = 'not-found' as const;
}

export class Conflict extends DomainError {
  readonly kind = 'conflict' as const;
}

/** The request is well formed but cannot be honoured as sent (e.g. a reused Idempotency-Key). */
export class Unprocessable extends DomainError {
  readonly kind = 'unprocessable' as const;
}

/** A body (an uploaded file) over the configured limit. */
export class TooLarge extends DomainError {
  readonly kind = 'too-large' as const;
}

/** A backing store (Postgres, Redis) cannot be reached; nothing was written. */
export class StoreUnavailable extends DomainError {
  readonly kind = 'unavailable' as const;
}

/** A capability that is not built yet; says so instead of pretending. */
export class NotImplemented extends DomainError {
  readonly kind = 'not-implemented' as const;
}

/** Too much work in flight (e.g. too many segment jobs processing): retry later. */
export class TooManyRequests extends DomainError {
  readonly kind = 'too-many' as const;
}
