import { resolve } from 'node:path';
import { CommandSpec, UsageError } from '../args';
import { ApiCallFailed, type ApiCaller } from '../api/api-caller';
import { CONNECTION_OPTIONS, Connection, connect } from '../api/connection';
import { CommandResult, EXIT } from '../export/export.commands';
import { MANIFEST_NAME, batchFolder, checkManifest, compare, readLocal, summary } from './batch-verification';

export const VERIFY_SPEC: CommandSpec = {
  name: 'verify',
  short: 'check a downloaded batch against its _manifest.json (sha256, bytes, rows); exit 6 on any mismatch',
  args: '<batchId>',
  maxPositionals: 1,
  summary:
    "Fetches the batch's _manifest.json through Data Access and checks the folder against it: every file it lists is there with its sha256, " +
    "size and rows (JSON Lines: lines; Parquet: the footer's row count), and no other file is. Prints a JSON report naming each file and what differs.",
  options: {
    ...CONNECTION_OPTIONS,
    dir: {
      type: 'string',
      value: 'DIR',
      help: 'the folder export download wrote (default .); DIR/<batchId>/ when it exists (a job with a batch per segment)',
    },
  },
  details: 'exit codes: 0 every file matches, 1 error (API error, no manifest, unreadable folder), 2 usage, 6 a file is missing, extra or differs',
};

/** The batch's manifest, as the API serves it (GET /batches/{id}/manifest); undefined for a batch without one. */
async function manifestOf(api: ApiCaller, batchId: string) {
  try {
    return checkManifest(await api.json<unknown>('GET', `/data/foundation/export/batches/${batchId}/manifest`));
  } catch (e) {
    if (e instanceof ApiCallFailed && e.status === 404) return undefined;
    throw e;
  }
}

/** Runs `verify <batchId> [--dir DIR]`. */
export async function verifyCommand(positional: string[], options: Record<string, string>, c: Connection): Promise<CommandResult> {
  const batchId = positional[0]?.toLowerCase();
  if (!batchId) throw new UsageError(`verify needs ${VERIFY_SPEC.args}`);
  if (!/^[0-9a-f]{32}$/.test(batchId)) throw new UsageError(`verify: "${positional[0]}" is not a batch id (32 hex characters)`);
  const dir = await batchFolder(resolve(options.dir ?? '.'), batchId);
  const api = await connect(c);
  const manifest = await manifestOf(api, batchId);
  if (!manifest) return { code: EXIT.error, message: `batch ${batchId} has no ${MANIFEST_NAME} (not a successful export batch, or written before manifests existed)` };
  let local;
  try {
    local = await readLocal(dir, manifest.format);
  } catch (e) {
    return { code: EXIT.error, message: `cannot read ${dir}: ${(e as Error).message}` };
  }
  const report = compare(manifest, dir, local);
  return { output: report, code: report.ok ? EXIT.ok : EXIT.mismatch, message: report.ok ? undefined : summary(report) };
}
