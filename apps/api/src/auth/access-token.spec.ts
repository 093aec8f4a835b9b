import { signAccessToken, verifyAccessToken } from './access-token';

const secret = 'k'.repeat(40);
const claims = { sub: 'c1', client_id: 'c1', org: 'ORG@AdobeOrg', iat: 1000, exp: 2000 };

describe('access tokens', () => {
  it('verifies what it signed until it expires', () => {
    const token = signAccessToken(claims, secret);
    expect(verifyAccessToken(token, secret, 1500)).toMatchObject({ sub: 'c1', org: 'ORG@AdobeOrg' });
    expect(verifyAccessToken(token, secret, 2000)).toBeUndefined();
  });

  it('rejects another key, a tampered payload, alg none and garbage', () => {
    const token = signAccessToken(claims, secret);
    expect(verifyAccessToken(token, 'x'.repeat(40), 1500)).toBeUndefined();
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, iss: 'segment-export-service', org: 'OTHER' })).toString('base64url');
    expect(verifyAccessToken(`${h}.${forged}.${s}`, secret, 1500)).toBeUndefined();
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(verifyAccessToken(`${none}.${forged}.`, secret, 1500)).toBeUndefined();
    expect(verifyAccessToken('not-a-token', secret, 1500)).toBeUndefined();
  });
});
