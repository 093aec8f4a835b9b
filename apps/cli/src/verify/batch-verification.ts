import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetRowCount } from './parquet-footer';

/** The metadata file of an export batch (the worker's batch-manifest.ts writes it). */
export const MANIFEST_NAME = '_manifest.json';

export interface ManifestFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** What verify reads of a manifest (manifestVersion 1). */
export interface Manifest {
  manifestVersion: number;
  batchId: string;
  format: string;
  files: ManifestFile[];
}

/** What a local file turned out to be. `rows` undefined: not counted (a format verify cannot count). */
export interface LocalFile {
  bytes: number;
  sha256: string;
  rows?: number;
  /** Why its rows could not be read (not a Parquet file, …). */
  rowsError?: string;
}

export interface FileCheck {
  name: string;
  ok: boolean;
  /** What differs: `missing`, `sha256`, `bytes`, `rows`. */
  problems: string[];
  expected: { bytes: number; sha256: string; rows: number };
  actual?: LocalFile;
}

export interface VerifyReport {
  batchId: string;
  dir: string;
  format: string;
  ok: boolean;
  files: FileCheck[];
  /** Files in the folder the manifest does not list (its own _manifest.json aside). */
  extra: string[];
  /** Whether rows were counted (JSON Lines, Parquet) or only bytes and sha256 checked. */
  rowsChecked: boolean;
}

export function checkManifest(value: unknown): Manifest {
  const m = value as Manifest | undefined;
  const valid =
    !!m &&
    typeof m === 'object' &&
    m.manifestVersion === 1 &&
    typeof m.format === 'string' &&
    Array.isArray(m.files) &&
    m.files.every((f) => typeof f?.name === 'string' && typeof f.sha256 === 'string' && Number.isSafeInteger(f.bytes) && Number.isSafeInteger(f.rows));
  if (!valid) throw new Error("the batch's _manifest.json is not a manifest this CLI reads (manifestVersion 1 with files [{name, rows, bytes, sha256}])");
  return m;
}

/** Whether this format's rows can be counted here. */
export const countsRows = (format: string) => format === 'jsonl' || format === 'parquet';

/**
 * Compares a manifest with what a folder holds (`local`: every regular file in it by name, read
 * by readLocal), pure so that the rules can be tested alone: every listed file must be there with
 * its bytes, sha256 and rows; any other file but the manifest itself is extra.
 */
export function compare(manifest: Manifest, dir: string, local: ReadonlyMap<string, LocalFile>): VerifyReport {
  const rowsChecked = countsRows(manifest.format);
  const files = manifest.files.map((f): FileCheck => {
    const expected = { bytes: f.bytes, sha256: f.sha256, rows: f.rows };
    const actual = local.get(f.name);
    if (!actual) return { name: f.name, ok: false, problems: ['missing'], expected };
    const problems: string[] = [];
    if (actual.sha256 !== f.sha256) problems.push('sha256');
    if (actual.bytes !== f.bytes) problems.push('bytes');
    if (rowsChecked && actual.rows !== f.rows) problems.push('rows');
    return { name: f.name, ok: problems.length === 0, problems, expected, actual };
  });
  const listed = new Set(manifest.files.map((f) => f.name));
  const extra = [...local.keys()].filter((n) => n !== MANIFEST_NAME && !listed.has(n)).sort();
  return { batchId: manifest.batchId, dir, format: manifest.format, ok: files.every((f) => f.ok) && extra.length === 0, files, extra, rowsChecked };
}

/** One line naming each file and what differs. */
export function summary(r: VerifyReport): string {
  if (r.ok) return `batch ${r.batchId}: ${r.files.length} files match the manifest`;
  const bad = r.files.filter((f) => !f.ok).map((f) => `${f.name} (${f.problems.join(', ')})`);
  const parts = [...(bad.length ? [`differs from the manifest: ${bad.join('; ')}`] : []), ...(r.extra.length ? [`not in the manifest: ${r.extra.join(', ')}`] : [])];
  return `batch ${r.batchId} in ${r.dir}: ${parts.join('; ')}`;
}

/** sha256 and size of a file, and its JSON Lines rows (newlines, plus a last line without one), in one read. */
async function hashAndLines(path: string): Promise<{ bytes: number; sha256: string; lines: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    last = chunk[chunk.length - 1];
  }
  if (bytes > 0 && last !== 0x0a) lines++;
  return { bytes, sha256: hash.digest('hex'), lines };
}

/** Every regular file directly in `dir`, hashed, with its rows when the format says how to count them. */
export async function readLocal(dir: string, format: string): Promise<Map<string, LocalFile>> {
  const out = new Map<string, LocalFile>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const { bytes, sha256, lines } = await hashAndLines(path);
    const file: LocalFile = { bytes, sha256 };
    if (entry.name !== MANIFEST_NAME && format === 'jsonl') file.rows = lines;
    if (entry.name !== MANIFEST_NAME && format === 'parquet') {
      try {
        file.rows = await parquetRowCount(path);
      } catch (e) {
        file.rowsError = (e as Error).message;
      }
    }
    out.set(entry.name, file);
  }
  return out;
}

/** The folder a batch's files are in: `dir/<batchId>` when there is one (a download of a job with several batches), else `dir`. */
export async function batchFolder(dir: string, batchId: string): Promise<string> {
  const nested = join(dir, batchId);
  const isDir = await stat(nested).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir ? nested : dir;
}
