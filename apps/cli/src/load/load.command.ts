import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_SCHEMA_ID, PROFILE_SCHEMA_ID } from '@sx/domain';
import { CommandSpec, UsageError } from '../args';
import { ApiCaller } from '../api/api-caller';
import { CONNECTION_OPTIONS, Connection } from '../api/connection';
import { Progress, bar, count, humanBytes, progressMode } from '../progress';

export { DEFAULT_ORG } from '../api/connection';

export const LOAD_SPEC: CommandSpec = {
  name: 'load',
  args: '<DIR>',
  maxPositionals: 1,
  short: 'ingest a generated directory, or any directory of JSON Lines files, through the API',
  summary:
    'Ingests a directory through the API as any client would: a directory written by generate (its manifest.json: datasets, files and segment definitions), ' +
    'or any directory of JSON Lines files (one dataset per file, named after the file).',
  options: {
    ...CONNECTION_OPTIONS,
    schema: { type: 'string', value: 'profile|event|URI', help: 'plain directory: the schema of the datasets it creates (default profile)' },
    'schema-of': { type: 'string', value: 'NAME=profile|event|URI', help: 'plain directory: the schema of dataset NAME (the file name without extensions)', multiple: true },
    progress: { type: 'string', value: 'auto|always|never', help: 'per-file progress (bytes, records) on stderr: auto (when stderr is a terminal), always, never' },
  },
  details: `A plain directory (no manifest.json): every file directly in DIR named *.jsonl, *.ndjson or *.json
(JSON Lines or a JSON array), each optionally .gz, is one dataset named after the file without its
extensions (crm.jsonl -> "crm"; crm.jsonl and crm.json.gz share "crm"). An existing dataset of that
name in the sandbox is reused (its schema must be the one asked for, when asked); otherwise it is
created with --schema-of NAME=..., else --schema, else the profile schema. Each dataset gets one
batch with its files, completed and waited for. Subdirectories and other files are ignored.

Without --client-id/--client-secret (or SX_CLIENT_ID/SX_CLIENT_SECRET), load creates a client in
the database (DATABASE_URL, as create-client) and prints its secret.`,
};

/** Makes a client when none was given (main passes one that uses the database, as create-client). */
export type ClientMaker = (orgId: string, sandbox: string) => Promise<{ clientId: string; clientSecret: string }>;

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

/** One dataset to load: where its records go and which files carry them. */
interface Planned {
  key: string;
  name: string;
  /** The schema to create it with; undefined: reuse or the default. */
  schema: string;
  /** An explicit schema asked for (--schema, --schema-of): an existing dataset must have it. */
  schemaAsked: boolean;
  files: string[];
  /** Plain directories reuse a dataset of the same name. */
  reuse: boolean;
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

const DATA_FILE = /^(.+?)\.(jsonl|ndjson|json)(\.gz)?$/i;

export function schemaOf(kind: string): string {
  if (kind === 'profile') return PROFILE_SCHEMA_ID;
  if (kind === 'event' || kind === 'experienceevent') return EVENT_SCHEMA_ID;
  if (/^https?:\/\//.test(kind)) return kind;
  throw new UsageError(`a schema is profile, event or a schema URI (https://ns.adobe.com/xdm/...), not "${kind}"`);
}

/** The datasets of a plain directory: one per file name (without extensions), sorted by name. */
export async function planPlainDirectory(dir: string, options: Record<string, string>, lists: Record<string, string[]>): Promise<Planned[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const byName = new Map<string, string[]>();
  for (const e of entries.filter((x) => x.isFile()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const m = DATA_FILE.exec(e.name);
    if (!m) continue;
    byName.set(m[1], [...(byName.get(m[1]) ?? []), e.name]);
  }
  if (!byName.size) {
    throw new UsageError(`${dir} has no manifest.json (the output of generate) and no data files (*.jsonl, *.ndjson, *.json, each optionally .gz): nothing to load`);
  }
  const explicit = new Map<string, string>();
  for (const item of lists['schema-of'] ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--schema-of takes NAME=profile|event|URI, not "${item}"`);
    const name = item.slice(0, at);
    if (!byName.has(name)) throw new UsageError(`--schema-of ${name}: no file of ${dir} makes a dataset named "${name}" (datasets: ${[...byName.keys()].join(', ')})`);
    explicit.set(name, schemaOf(item.slice(at + 1)));
  }
  const fallback = schemaOf(options.schema ?? 'profile');
  return [...byName].map(([name, files]) => {
    if (/[,*!]/.test(name)) throw new UsageError(`${files[0]}: a dataset name may not contain , * or ! (Catalog filters read them): rename the file`);
    return {
      key: name,
      name,
      schema: explicit.get(name) ?? fallback,
      schemaAsked: explicit.has(name) || options.schema !== undefined,
      files,
      reuse: true,
    };
  });
}

/** Counts newline bytes: the records of a JSON Lines file so far (an estimate until the batch says). */
function newlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * `load DIR`: a generated DIR (manifest.json): its segment definitions (keeping their ids, which
 * the memberships refer to), one dataset per manifest entry and one batch per dataset with all its
 * files; or a plain directory of data files (see LOAD_SPEC.details). Everything through the public
 * API, as a client would.
 */
export async function loadCommand(
  dir: string | undefined,
  options: Record<string, string>,
  lists: Record<string, string[]>,
  connection: Connection,
  makeClient: ClientMaker,
): Promise<Record<string, unknown>> {
  if (!dir) throw new UsageError('load needs a directory: load <DIR> (written by generate, or of JSON Lines files)');
  const progress = new Progress(progressMode(options.progress));
  let manifestText: string | undefined;
  try {
    manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw new UsageError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  let planned: Planned[];
  let segments: SampleSegment[] = [];
  if (manifestText !== undefined) {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(manifestText) as Manifest;
    } catch {
      throw new UsageError(`${dir}/manifest.json is not JSON: is ${dir} the output of generate?`);
    }
    if (options.schema !== undefined || lists['schema-of']?.length) throw new UsageError('--schema and --schema-of are for plain directories: manifest.json names the schemas');
    segments = JSON.parse(await readFile(join(dir, manifest.segments), 'utf8')) as SampleSegment[];
    planned = manifest.datasets.map((d) => ({ key: d.key, name: d.name, schema: d.schema, schemaAsked: true, files: d.files, reuse: false }));
  } else {
    planned = await planPlainDirectory(dir, options, lists);
  }
  const sizes = new Map<string, number>();
  for (const p of planned) for (const f of p.files) sizes.set(f, (await stat(join(dir, f))).size);

  const { orgId, sandbox } = connection;
  let credentials: { clientId: string; clientSecret: string; created: boolean };
  if (connection.clientId && connection.clientSecret) {
    credentials = { clientId: connection.clientId, clientSecret: connection.clientSecret, created: false };
  } else {
    credentials = { ...(await makeClient(orgId, sandbox)), created: true };
  }
  const api = new ApiCaller(connection.api);
  await api.authenticate(credentials.clientId, credentials.clientSecret, orgId, sandbox);

  // Every dataset is resolved before anything is written: a conflict changes nothing.
  const existing = new Map<string, string>();
  for (const entry of planned.filter((p) => p.reuse)) {
    const found = await api.json<Record<string, { name: string; schemaRef?: { id: string } }>>(
      'GET',
      `/data/foundation/catalog/dataSets?name=${encodeURIComponent(entry.name)}&properties=name,schemaRef&limit=2`,
    );
    const same = Object.entries(found).filter(([, d]) => d.name === entry.name);
    if (same.length > 1) throw new Error(`the sandbox ${sandbox} has several datasets named "${entry.name}": load cannot tell which one to use; nothing was loaded`);
    if (same.length === 1) {
      const [id, d] = same[0];
      if (entry.schemaAsked && d.schemaRef?.id !== entry.schema) {
        throw new Error(`dataset "${entry.name}" (${id}) exists with schema ${d.schemaRef?.id}, not ${entry.schema}; nothing was loaded`);
      }
      existing.set(entry.key, id);
    }
  }

  const started = Date.now();
  for (const s of segments) {
    await api.json('POST', `${connection.basePath}/segment/definitions`, {
      id: s.id,
      name: s.name,
      description: s.description,
      namespace: s.namespace ?? 'ups',
      expression: s.expression,
    });
  }

  const datasets: Record<string, Record<string, unknown>> = {};
  for (const entry of planned) {
    const t0 = Date.now();
    let datasetId = existing.get(entry.key);
    const created = datasetId === undefined;
    if (datasetId === undefined) {
      const [ref] = await api.json<string[]>('POST', '/data/foundation/catalog/dataSets', { name: entry.name, schemaRef: { id: entry.schema } });
      datasetId = ref.replace('@/dataSets/', '');
    }
    const batch = await api.json<{ id: string }>('POST', '/data/foundation/import/batches', { datasetId, inputFormat: { format: 'json' } });
    const files: Array<{ name: string; bytes: number }> = [];
    for (const file of entry.files) {
      const size = sizes.get(file) ?? 0;
      const countsLines = /\.(jsonl|ndjson)$/i.test(file);
      let sent = 0;
      let lines = 0;
      const line = () => `${entry.key}: ${file} ${bar(size ? sent / size : 1, 20)} ${humanBytes(sent)} of ${humanBytes(size)}${countsLines ? `, ${count(lines)} records` : ''}`;
      progress.update(line(), true);
      await api.putFile(`/data/foundation/import/batches/${batch.id}/datasets/${datasetId}/files/${encodeURIComponent(file)}`, join(dir, file), (chunk) => {
        sent += chunk.length;
        if (countsLines) lines += newlines(chunk);
        progress.update(line());
      });
      progress.done(line());
      files.push({ name: file, bytes: size });
    }
    await api.json('POST', `/data/foundation/import/batches/${batch.id}?action=COMPLETE`);
    progress.update(`${entry.key}: batch ${batch.id} completed, waiting for its promotion…`, true);
    const done = await settledBatch(api, batch.id);
    progress.done(`${entry.key}: batch ${batch.id} ${done.status}, ${count(done.metrics?.recordsWritten ?? 0)} records written`);
    if (done.status !== 'success') throw new Error(`batch ${batch.id} of ${entry.key} ${done.status}: ${JSON.stringify(done.errors).slice(0, 2000)}`);
    datasets[entry.key] = {
      datasetId,
      batchId: batch.id,
      records: done.metrics.recordsWritten,
      seconds: (Date.now() - t0) / 1000,
      ...(entry.reuse ? { name: entry.name, created, files } : {}),
    };
  }

  return {
    layout: manifestText !== undefined ? 'generated' : 'plain',
    orgId,
    sandbox,
    clientId: credentials.clientId,
    ...(credentials.created ? { clientSecret: credentials.clientSecret } : {}),
    segments: segments.length,
    datasets,
    seconds: (Date.now() - started) / 1000,
  };
}
