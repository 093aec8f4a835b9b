import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('gives every default on an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.BASE_PATH).toBe('/data/core/ups');
    expect(c.TOKEN_TTL_SECONDS).toBe(86400);
    expect(c.adminPassword).toBe('admin');
  });

  it('parses numbers and keeps strings', () => {
    const c = loadConfig({ PORT: '8080', BASE_PATH: '/x/y', QUEUE_PREFIX: 'p1' });
    expect(c.PORT).toBe(8080);
    expect(c.BASE_PATH).toBe('/x/y');
    expect(c.QUEUE_PREFIX).toBe('p1');
  });

  it('lists every invalid variable', () => {
    expect(() => loadConfig({ PORT: 'abc', BASE_PATH: 'nope/', REDIS_URL: 'http://x' })).toThrow(/PORT[\s\S]*BASE_PATH[\s\S]*REDIS_URL/);
  });

  it('refuses the development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_PASSWORD is required/);
    const ok = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ADMIN_PASSWORD: 'pw' });
    expect(ok.jwtSecret).toBe('x'.repeat(32));
  });
});
