import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims of our access tokens (HS256 JWTs). */
export interface AccessTokenClaims {
  iss: string;
  sub: string; // the client id, which is also its x-api-key
  client_id: string;
  org: string;
  iat: number;
  exp: number;
}

export const TOKEN_ISSUER = 'segment-export-service';
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

export function signAccessToken(claims: Omit<AccessTokenClaims, 'iss'>, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ iss: TOKEN_ISSUER, ...claims })).toString('base64url');
  return `${HEADER}.${payload}.${sign(`${HEADER}.${payload}`, secret)}`;
}

/** The claims of a well-signed, unexpired token of ours; undefined for anything else. */
export function verifyAccessToken(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): AccessTokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts;
  // Only our exact header is accepted: no "alg: none", no algorithm switching.
  if (header !== HEADER) return undefined;
  const expected = Buffer.from(sign(`${header}.${payload}`, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  let claims: AccessTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
  } catch {
    return undefined;
  }
  if (claims.iss !== TOKEN_ISSUER || typeof claims.sub !== 'string' || typeof claims.org !== 'string') return undefined;
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return undefined;
  return claims;
}
