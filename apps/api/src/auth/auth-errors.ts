import type { ShapedError } from '../common/problem.filter';

/**
 * A failure at the gateway, answered as AEP's gateway does: `{"error_code", "message"}`, with the
 * HTTP status given by the code's first three digits.
 */
export class GatewayError extends Error implements ShapedError {
  static tokenMissing = () => new GatewayError('403010', 'Oauth token is missing.');
  static tokenInvalid = () => new GatewayError('401013', 'Oauth token is not valid');
  static apiKeyMissing = () => new GatewayError('403000', 'Api Key is required');
  static apiKeyInvalid = () => new GatewayError('403003', 'Api Key is invalid');
  static headerMissing = (name: string) => new GatewayError('400003', `Missing required header: ${name}`);

  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(code: string, message: string) {
    super(message);
    this.status = Number(code.slice(0, 3));
    this.body = { error_code: code, message };
  }
}

/** A failure of the token endpoint, in the OAuth 2.0 shape that IMS answers. */
export class OAuthError extends Error implements ShapedError {
  readonly body: Record<string, unknown>;
  constructor(
    readonly status: number,
    error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description);
    this.body = { error, error_description: description };
  }
}
