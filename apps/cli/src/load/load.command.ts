import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '@sx/config';
import type { ApiClientRepository } from '@sx/persistence';
import { UsageError } from '../args';
import { createClient } from '../create-client.command';
import { ApiCaller } from './api-caller';

export interface LoadDeps {
  clients: ApiClientRepository;
  config: AppConfig;
}

interface Manifest {
  datasets: Array<{ key: string; name: string; schema: string; files: string[] }>;
  segments: string;
}

interface SampleSegment {
  id: string;
  name: string;
  description?: string;
  namespace?: string;
  expression: { type: string; format: string; value: string };
}

interface CatalogBatch {
  status: string;
  metrics: { recordsWritten: number };
  errors: unknown[];
}

/** COMPLETE is answered at once (the batch staging); a worker promotes it: wait for its end. */
async function settledBatch(api: ApiCaller, batchId: string): Promise<CatalogBatch> {
  const started = Date.now();
  let warned = false;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const batch = (await api.json<Record<string, CatalogBatch>>('GET', `/data/foundation/catalog/batches/${batchId}`))[batchId];
    if (batch.status !== 'staging' && batch.status !== 'processing') return batch;
    if (!warned && Date.now() - started > 30_000) {
      warned = true;
      process.stderr.write(`batch ${batchId} is still ${batch.status} after 30 s: is a worker running?\n`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

export const DEFAULT_ORG = '1BD6382559DF0C130A49422D@AdobeOrg';

/**
 * `load DIR`: everything a generated DIR describes, created through the public API as a client
 * would: the segment definitions (keeping their ids, which the memberships refer to), one dataset
 * per manifest entry, and one batch per dataset with all its files, completed.
 */
export async function loadCommand(dir: string | undefined, options: Record<string, string>, deps: LoadDeps): Promise<Record<string, unknown>> {
  if (!dir) throw new UsageError('load needs the directory written by generate: load <DIR>');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new UsageError(`${dir}/manifest.json is missing or not JSON: is ${dir} the output of generate?`);
  }
  const segments = JSON.parse(await readFile(join(dir, manifest.segments), 'utf8')) as SampleSegment[];
  const orgId = options.org ?? DEFAULT_ORG;
  const sandbox = options.sandbox ?? 'prod';
  const api = new ApiCaller((options.api ?? `http://127.0.0.1:${deps.config.PORT}`).replace(/\/$/, ''));
  const basePath = deps.config.BASE_PATH;

  let credentials: { clientId: string; clientSecret: string; created: boolean };
  if (options['client-id'] && options['client-secret']) {
    credentials = { clientId: options['client-id'], clientSecret: options['client-secret'], created: false };
  } else {
    const client = await createClient(deps.clients, { org: orgId, sandboxes: sandbox });
    credentials = { clientId: client.clientId, clientSecret: client.clientSecret, created: true };
  }
  await api.authenticate(credentials.clientId, credentials.clientSecret, orgId, sandbox);

  const started = Date.now();
  for (const s of segments) {
    await api.json('POST', `${basePath}/segment/definitions`, {
      id: s.id,
      name: s.name,
      description: s.description,
      namespace: s.namespace ?? 'ups',
      expression: s.expression,
    });
  }

  const datasets: Record<string, { datasetId: string; batchId: string; records: number; seconds: number }> = {};
  for (const entry of manifest.datasets) {
    const t0 = Date.now();
    const [ref] = await api.json<string[]>('POST', '/data/foundation/catalog/dataSets', { name: entry.name, schemaRef: { id: entry.schema } });
    const datasetId = ref.replace('@/dataSets/', '');
    const batch = await api.json<{ id: string }>('POST', '/data/foundation/import/batches', { datasetId, inputFormat: { format: 'json' } });
    for (const file of entry.files) {
      await api.putFile(`/data/foundation/import/batches/${batch.id}/datasets/${datasetId}/files/${file}`, join(dir, file));
    }
    await api.json('POST', `/data/foundation/import/batches/${batch.id}?action=COMPLETE`);
    const done = await settledBatch(api, batch.id);
    if (done.status !== 'success') throw new Error(`batch ${batch.id} of ${entry.key} ${done.status}: ${JSON.stringify(done.errors).slice(0, 2000)}`);
    datasets[entry.key] = { datasetId, batchId: batch.id, records: done.metrics.recordsWritten, seconds: (Date.now() - t0) / 1000 };
  }

  return {
    orgId,
    sandbox,
    clientId: credentials.clientId,
    ...(credentials.created ? { clientSecret: credentials.clientSecret } : {}),
    segments: segments.length,
    datasets,
    seconds: (Date.now() - started) / 1000,
  };
}
