import type { OptionSpec } from '../args';
import { UsageError } from '../args';
import { ApiCaller } from './api-caller';

export const DEFAULT_ORG = '1BD6382559DF0C130A49422D@AdobeOrg';
export const DEFAULT_API = 'http://127.0.0.1:3000';
export const DEFAULT_BASE_PATH = '/data/core/ups';

/**
 * Where and as whom the CLI calls the API: each a flag, else an environment variable, else a
 * default. This is the one place the CLI reads its own variables (the apps' settings stay in
 * libs/config).
 */
export const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  api: { type: 'string', value: 'URL', help: `the API's base URL (env SX_API_URL; default ${DEFAULT_API})` },
  'client-id': { type: 'string', value: 'ID', help: "the API client's id (env SX_CLIENT_ID)" },
  'client-secret': { type: 'string', value: 'SECRET', help: "the API client's secret (env SX_CLIENT_SECRET)" },
  org: { type: 'string', value: 'ORG_ID', help: `the client's org, x-gw-ims-org-id (env SX_ORG_ID; default ${DEFAULT_ORG})` },
  sandbox: { type: 'string', value: 'NAME', help: 'the sandbox, x-sandbox-name (env SX_SANDBOX; default prod)' },
  'base-path': { type: 'string', value: 'PATH', help: `the Segmentation API's path, the API's BASE_PATH (env SX_BASE_PATH; default ${DEFAULT_BASE_PATH})` },
};

export interface Connection {
  api: string;
  orgId: string;
  sandbox: string;
  basePath: string;
  clientId?: string;
  clientSecret?: string;
}

const ENV: Record<string, string> = {
  api: 'SX_API_URL',
  'client-id': 'SX_CLIENT_ID',
  'client-secret': 'SX_CLIENT_SECRET',
  org: 'SX_ORG_ID',
  sandbox: 'SX_SANDBOX',
  'base-path': 'SX_BASE_PATH',
};

/** The connection the flags and the environment describe (flags win). */
export function connectionOf(options: Record<string, string>, env: NodeJS.ProcessEnv = process.env, defaultApi = DEFAULT_API): Connection {
  const pick = (name: string) => options[name] ?? (env[ENV[name]] || undefined);
  const api = (pick('api') ?? defaultApi).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new UsageError(`--api must be an http:// or https:// URL, not "${api}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api must be an http:// or https:// URL, not "${api}"`);
  const basePath = (pick('base-path') ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
  if (!basePath.startsWith('/')) throw new UsageError('--base-path must start with /');
  return { api, orgId: pick('org') ?? DEFAULT_ORG, sandbox: pick('sandbox') ?? 'prod', basePath, clientId: pick('client-id'), clientSecret: pick('client-secret') };
}

/** An authenticated caller for a connection that has credentials. */
export async function connect(c: Connection): Promise<ApiCaller> {
  if (!c.clientId || !c.clientSecret) {
    throw new UsageError('a client is needed: --client-id and --client-secret (or SX_CLIENT_ID and SX_CLIENT_SECRET); create-client makes one');
  }
  const api = new ApiCaller(c.api);
  await api.authenticate(c.clientId, c.clientSecret, c.orgId, c.sandbox);
  return api;
}
