import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../args';
import { seedKey } from './prng';
import { PROFILES_PER_EVENT_ONLY_PERSON, ProfileFactory } from './records';
import { segmentPool } from './segments';
import { SmallProfileFactory } from './small-records';
import { JsonlFileWriter, RECORDS_PER_FILE } from './writer';

// 3: CRM records carry `subscriptions` (an array of objects); `--records small` (manifest `records`).
export const GENERATOR = 'segment-export-sample/3';
/** `generator`: the default records (about 1.5 KB, CRM and web datasets); `small`: see small-records.ts. */
export const RECORD_SHAPES = ['generator', 'small'] as const;
export type RecordShape = (typeof RECORD_SHAPES)[number];
/** Sanity bound; 1,000,000 profiles make about 2.5 GB. */
export const MAX_PROFILES = 100_000_000;

export interface GenerateOptions {
  profiles: number;
  seed: number;
  out: string;
  force: boolean;
  /** Default `generator`. */
  records?: RecordShape;
  /** For tests: records per file (default 250,000). */
  recordsPerFile?: number;
}

export interface Manifest {
  generator: string;
  records: RecordShape;
  seed: number;
  profiles: number;
  datasets: { key: 'crm' | 'web' | 'events'; name: string; schema: string; files: string[] }[];
  segments: 'segments.json';
  counts: { crmRecords: number; webRecords: number; events: number; eventOnlyPeople: number; segments: number };
}

/** What a previous run leaves in DIR (removed by --force; nothing else is touched). */
const OUTPUT_FILE = /^(?:(?:profiles-crm|profiles-web|events)-\d{4,}\.jsonl|segments\.json|manifest\.json)$/;
const KNOWN_OPTIONS = new Set(['profiles', 'seed', 'out', 'force', 'records']);

/** `generate --profiles N --seed S --out DIR [--records small] [--force]`: deterministic sample data. */
export async function generateCommand(options: Record<string, string>): Promise<Record<string, unknown>> {
  const parsed = parseGenerateOptions(options);
  const manifest = await generate(parsed);
  return { ...manifest, out: parsed.out };
}

export function parseGenerateOptions(options: Record<string, string>): GenerateOptions {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new UsageError(`Unknown option --${name} for generate`);
  }
  const profiles = options.profiles;
  if (profiles === undefined || !/^[1-9][0-9]*$/.test(profiles) || Number(profiles) > MAX_PROFILES) {
    throw new UsageError(`--profiles <N> is required: a positive integer up to ${MAX_PROFILES}`);
  }
  const seed = options.seed ?? '1';
  if (!/^[0-9]+$/.test(seed) || !Number.isSafeInteger(Number(seed))) {
    throw new UsageError('--seed <S> must be a non-negative integer');
  }
  const out = options.out;
  if (!out || out === 'true') throw new UsageError('--out <DIR> is required');
  const force = options.force ?? 'false';
  if (!['true', 'false'].includes(force)) throw new UsageError('--force takes no value');
  const records = options.records ?? 'generator';
  if (!(RECORD_SHAPES as readonly string[]).includes(records)) throw new UsageError(`--records must be one of ${RECORD_SHAPES.join(', ')}`);
  return { profiles: Number(profiles), seed: Number(seed), out: resolve(out), force: force === 'true', records: records as RecordShape };
}

/** Writes the sample into `options.out`; returns the manifest (also written as manifest.json). */
export async function generate(options: GenerateOptions): Promise<Manifest> {
  const { profiles, seed, out } = options;
  const records = options.records ?? 'generator';
  await prepareOutDir(out, options.force);

  const key = seedKey(seed);
  const pool = segmentPool(key);
  const factory = records === 'small' ? new SmallProfileFactory(key, profiles, pool) : new ProfileFactory(key, profiles, pool);
  const perFile = options.recordsPerFile ?? RECORDS_PER_FILE;
  const crm = new JsonlFileWriter(out, 'profiles-crm', perFile);
  const web = new JsonlFileWriter(out, 'profiles-web', perFile);
  const events = new JsonlFileWriter(out, 'events', perFile);

  let eventOnlyPeople = 0;
  for (let i = 0; i < profiles; i++) {
    const person = factory.profile(i);
    let wait: Promise<void> | undefined;
    if (person.crm !== null && (wait = crm.add(person.crm))) await wait;
    if (person.web !== null && (wait = web.add(person.web))) await wait;
    for (const line of person.events) if ((wait = events.add(line))) await wait;
    // Interleaved event-only people ("empty profiles"): one per PROFILES_PER_EVENT_ONLY_PERSON profiles.
    if (records === 'generator' && i % PROFILES_PER_EVENT_ONLY_PERSON === 0) {
      for (const line of factory.eventOnly(eventOnlyPeople++).events) if ((wait = events.add(line))) await wait;
    }
  }

  const [crmFiles, webFiles, eventFiles] = await Promise.all([crm.close(), web.close(), events.close()]);
  await writeFile(join(out, 'segments.json'), JSON.stringify(pool.definitions, null, 2) + '\n');
  const manifest: Manifest = {
    generator: GENERATOR,
    records,
    seed,
    profiles,
    datasets: [
      { key: 'crm', name: 'Sample CRM profiles', schema: '_xdm.context.profile', files: crmFiles.map((f) => f.name) },
      // Small samples have one profile dataset: no empty web dataset is created for them.
      ...(records === 'generator' ? [{ key: 'web' as const, name: 'Sample web profiles', schema: '_xdm.context.profile', files: webFiles.map((f) => f.name) }] : []),
      { key: 'events', name: 'Sample experience events', schema: '_xdm.context.experienceevent', files: eventFiles.map((f) => f.name) },
    ],
    segments: 'segments.json',
    counts: {
      crmRecords: crm.records,
      webRecords: web.records,
      events: events.records,
      eventOnlyPeople,
      segments: pool.definitions.length,
    },
  };
  // Written last: a DIR with a manifest is complete.
  await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function prepareOutDir(out: string, force: boolean): Promise<void> {
  const info = await stat(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!info) {
    await mkdir(out, { recursive: true });
    return;
  }
  if (!info.isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`);
  const entries = await readdir(out);
  if (!entries.length) return;
  if (!force) throw new UsageError(`--out ${out} is not empty (use --force to replace a previous sample there)`);
  // Only a previous sample's files go; anything else in DIR is left alone.
  await Promise.all(entries.filter((name) => OUTPUT_FILE.test(name)).map((name) => unlink(join(out, name))));
}
