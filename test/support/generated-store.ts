import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ApiHarness, TestClient } from './api-harness';
import { ROOT, TestEnv } from './test-env';
import { withWorker } from './worker-harness';

const run = promisify(execFile);

/**
 * Generates `profiles` sample profiles with the CLI and loads them through the API (listening on
 * a loopback port) into the client's sandbox, as a user would; a worker in this process promotes
 * the batches for the load only. Answers the generated directory (the caller removes it).
 */
export async function loadGeneratedStore(env: TestEnv, api: ApiHarness, client: TestClient, options: { profiles: number; seed: number; sandbox?: string }): Promise<string> {
  const server = api.app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gen = await mkdtemp(join(tmpdir(), `${env.name}-gen-`));
  const cli = (args: string[]) => run('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: env.childEnv(), maxBuffer: 1 << 24 });
  await cli(['generate', '--profiles', String(options.profiles), '--seed', String(options.seed), '--out', gen, '--force']);
  const sandbox = options.sandbox ?? client.sandboxes[0];
  await withWorker(env.config(), () =>
    cli(['load', gen, '--api', base, '--client-id', client.clientId, '--client-secret', client.clientSecret, '--org', client.orgId, '--sandbox', sandbox]),
  );
  return gen;
}
