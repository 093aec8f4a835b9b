import type { EvaluatedOut, ProfileReader, EventOut, FragmentOut } from '@sx/persistence';
import {
  EventInput,
  FragmentInput,
  MergedProfile,
  attachEvents,
  compileEventProjection,
  compileProjection,
  emptyProfile,
  mergeProfile,
  mergeRuleOf,
  qualifiesAny,
  overlayMemberships,
} from '@sx/export';
import { type ExportPlan, emptyProfilesWanted, inEventWindow } from './export-plan';
import { compileStoredRows } from './stored-rows';
import { compareKeys } from './key-order';
import { compileSegmentCounter, emptyCounts } from './segment-counts';
import type { ExportRow } from './writers/row-writer';
import { BatchRow } from './batch-row';
import { forEachProfile } from './fragment-groups';

/** Where rows go: `segments` are the indexes of the plan's segments the profile qualified for. */
export type RowSink = (row: ExportRow, segments: readonly number[]) => void | Promise<void>;

export interface PipelineCounters {
  profiles: number;
  byNamespace: Record<string, number>;
  /** With a segment filter: profiles per filter entry they satisfied (segment-counts.ts); created by the pipeline. */
  bySegment?: Record<string, number>;
}

/** Counts a profile under the segment filter entries it matched (a no-op without a segment filter). */
function segmentCounting(plan: ExportPlan, counters: PipelineCounters): (matched: readonly number[]) => void {
  if (!plan.segments?.length) return () => undefined;
  const count = compileSegmentCounter(plan.segments);
  const bySegment = (counters.bySegment ??= emptyCounts());
  return (matched) => count(bySegment, matched);
}

/**
 * Reads a stream of row batches one row at a time. `peek` answers synchronously while the current
 * batch lasts and returns a promise only to read the next one: the per-row loop stays free of
 * awaits (each await is a trip through the microtask queue, per row, per stream).
 */
class Cursor<T> {
  private batch: T[] = [];
  private i = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<T[]>) {}
  peek(): T | undefined | Promise<T | undefined> {
    if (this.i < this.batch.length) return this.batch[this.i];
    if (this.done) return undefined;
    return this.it.next().then((r): T | undefined | Promise<T | undefined> => {
      if (r.done) {
        this.done = true;
        return undefined;
      }
      this.batch = r.value;
      this.i = 0;
      return this.peek();
    });
  }
  /** The row peek() answered; call only after peek() gave one. */
  take(): T {
    return this.batch[this.i++];
  }
}

/** peek(), awaiting only when a batch must be read. */
async function next<T>(c: Cursor<T>): Promise<T | undefined> {
  return c.peek();
}

/** Identities of an event record, for the empty profile it stands for. */
function identitiesOfEvent(record: Record<string, unknown>): Array<{ namespace: string; id: string }> {
  const out: Array<{ namespace: string; id: string }> = [];
  const map = record.identityMap as Record<string, Array<{ id?: unknown }>> | undefined;
  for (const [namespace, entries] of Object.entries(map ?? {})) {
    for (const e of Array.isArray(entries) ? entries : []) if (typeof e?.id === 'string') out.push({ namespace, id: e.id });
  }
  return out;
}

/** Writes one merged profile if the job selects it; shared by the plain and the evaluating pipelines. */
export type ProfileEmitter = (merged: MergedProfile, newestIngest: number, profileEvents: EventOut[]) => Promise<void>;

/**
 * The step every selected profile goes through: the fromIngestTimestamp and segment filters (on
 * the merged record's segmentMembership, overlaid or freshly evaluated by the caller), projection,
 * events, counters, the sink, and EXPORT_RATE_LIMIT's pacing.
 */
export function profileEmitter(plan: ExportPlan, sink: RowSink, signal: AbortSignal, counters: PipelineCounters): { emit: ProfileEmitter; pace: () => Promise<void> } {
  const project = compileProjection(plan.fields, plan.segments);
  const projectEvent = plan.eventList ? compileEventProjection(plan.eventList.fields) : undefined;
  const everySegment: readonly number[] = [];
  const countSegments = segmentCounting(plan, counters);

  const eventsInWindow = (list: EventOut[]): EventInput[] => {
    const out: EventInput[] = [];
    for (const e of list) {
      if (!inEventWindow(plan, e.ingestTime)) continue;
      out.push({ record: JSON.parse(e.json) as Record<string, unknown>, timestamp: e.timestamp, ingestTime: e.ingestTime });
    }
    return out;
  };

  const started = Date.now();
  /** EXPORT_RATE_LIMIT: wait (in short, abortable steps) until this profile's turn. */
  const pace = async () => {
    if (!plan.rateLimit) return;
    for (let due = started + (counters.profiles * 1000) / plan.rateLimit; Date.now() < due && !signal.aborted;) {
      await new Promise((r) => setTimeout(r, Math.min(50, due - Date.now())));
    }
  };

  const emit = async (merged: MergedProfile, newestIngest: number, profileEvents: EventOut[]) => {
    if (plan.fromIngestMs !== undefined && !(newestIngest > plan.fromIngestMs)) return;
    let segments = everySegment;
    if (plan.segments) {
      segments = qualifiesAny(merged.record.segmentMembership, plan.segments, plan.qualifiedBetween);
      if (!segments.length) return;
    }
    const profile = project(merged.record);
    if (projectEvent) attachEvents(profile, eventsInWindow(profileEvents), projectEvent);
    counters.profiles++;
    const ns = merged.primaryIdentity.namespace;
    counters.byNamespace[ns] = (counters.byNamespace[ns] ?? 0) + 1;
    countSegments(segments);
    const written = sink({ primaryNamespace: ns, primaryId: merged.primaryIdentity.id, profile }, segments);
    if (written) await written;
    if (plan.rateLimit) await pace();
  };
  return { emit, pace };
}

const NO_EVALUATED: readonly EvaluatedOut[] = [];
const NO_EVENTS: readonly EventOut[] = [];

/**
 * Reads fragments (and events, and evaluated memberships of the exported segments when some
 * exist) ordered by profile key, merges one profile at a time, overlays its evaluated
 * memberships (memberships.md 3), keeps the ones the job selects, projects them and hands them
 * to the sink. Memory: one profile.
 */
export async function runExportPipeline(reader: ProfileReader, plan: ExportPlan, sink: RowSink, signal: AbortSignal, counters: PipelineCounters): Promise<void> {
  const rule = mergeRuleOf(plan.policy.attributeMerge);
  const { emit, pace } = profileEmitter(plan, sink, signal, counters);
  const wantEmpty = emptyProfilesWanted(plan);
  // Fast path: a profile of one fragment written from its stored bytes (stored-rows.ts).
  const stored = compileStoredRows(plan);
  const countSegments = segmentCounting(plan, counters);
  const fragments = new Cursor<FragmentOut>(reader.fragments[Symbol.asyncIterator]());
  const events = reader.events ? new Cursor<EventOut>(reader.events[Symbol.asyncIterator]()) : undefined;
  const evaluated = reader.evaluated ? new Cursor<EvaluatedOut>(reader.evaluated[Symbol.asyncIterator]()) : undefined;

  /** The evaluated rows of `key`; keys are asked for in ascending order (rows of earlier keys, whose profiles the read left out, are skipped). */
  const evaluatedOf = async (key: string): Promise<readonly EvaluatedOut[]> => {
    if (!evaluated) return NO_EVALUATED;
    let e = await next(evaluated);
    while (e && compareKeys(e.key, key) < 0) {
      evaluated.take();
      e = await next(evaluated);
    }
    if (!e || e.key !== key) return NO_EVALUATED;
    const rows: EvaluatedOut[] = [];
    for (; e && e.key === key; e = await next(evaluated)) rows.push(evaluated.take());
    return rows;
  };

  /** The merged profile with its evaluated memberships laid over its record's own. */
  const overlaid = (merged: MergedProfile, rows: readonly EvaluatedOut[]): MergedProfile => {
    if (rows.length) merged.record.segmentMembership = overlayMemberships(merged.record.segmentMembership, rows);
    return merged;
  };

  /** A fast-path profile: counted and handed to the sink if it qualifies. */
  const emitText = (f: FragmentOut, newestIngest: number, rows: readonly EvaluatedOut[], profileEvents: readonly EventOut[]): void | Promise<void> => {
    if (plan.fromIngestMs !== undefined && !(newestIngest > plan.fromIngestMs)) return;
    const row = stored.row(f.jsonBytes, f.identitiesJson!, f.membershipAt, rows, profileEvents);
    if (!row) return;
    const sep = f.primaryIdentity.indexOf(':');
    const ns = f.primaryIdentity.slice(0, sep);
    counters.profiles++;
    counters.byNamespace[ns] = (counters.byNamespace[ns] ?? 0) + 1;
    countSegments(row.segments);
    const written = sink({ primaryNamespace: ns, primaryId: f.primaryIdentity.slice(sep + 1), profileParts: row.parts }, row.segments);
    if (plan.rateLimit) return Promise.resolve(written).then(pace);
    return written;
  };

  /** A profile of several fragments (or of one the fast path cannot write): merged, overlaid and emitted. */
  const emitMerged = (raw: readonly FragmentOut[], newest: number, rows: readonly EvaluatedOut[], profileEvents: EventOut[]) => {
    const group: FragmentInput[] = raw.map((f) => ({
      record: stored.mergeInput(f),
      datasetId: f.datasetId,
      recordTime: f.recordTime,
      ingestTime: f.ingestTime,
    }));
    return emit(overlaid(mergeProfile(group, rule), rows), newest, profileEvents);
  };

  if (reader.fragmentBatches && !events && !evaluated) {
    // Nothing to join by key but the fragments: profiles come straight from the chunks read, and
    // single-fragment ones are written from their bytes without an object or a string of their own.
    const row = new BatchRow();
    await forEachProfile(reader.fragmentBatches, signal, {
      single: (b, r) => {
        const bytes = b.record(r);
        const identitiesJson = b.identitiesJson(r);
        if (!stored.fits(bytes, identitiesJson)) return emitMerged([b.fragment(r)], b.ingestTime(r), NO_EVALUATED, []);
        if (plan.fromIngestMs !== undefined && !(b.ingestTime(r) > plan.fromIngestMs)) return;
        const out = stored.row(bytes, identitiesJson!, b.membershipAt(r), NO_EVALUATED, NO_EVENTS);
        if (!out) return;
        row.set(b.primaryIdentity(r), out.parts);
        const ns = row.primaryNamespace;
        counters.profiles++;
        counters.byNamespace[ns] = (counters.byNamespace[ns] ?? 0) + 1;
        countSegments(out.segments);
        const written = sink(row, out.segments);
        if (plan.rateLimit) return Promise.resolve(written).then(pace);
        return written;
      },
      several: (raw) => emitMerged(raw, Math.max(...raw.map((f) => f.ingestTime)), NO_EVALUATED, []),
    });
    return;
  }

  /** Events with keys before `key` belong to profiles without fragments: empty profiles. */
  const drainEventsBefore = async (key: string | undefined) => {
    if (!events) return;
    for (let e = await next(events); e && (key === undefined || compareKeys(e.key, key) < 0); e = await next(events)) {
      const group: EventOut[] = [];
      const k = e.key;
      for (let x = await next(events); x && x.key === k; x = await next(events)) group.push(events.take());
      if (!wantEmpty) continue;
      // The union of the events' identities, the profile's key (an event's primary identity) first.
      const seen = new Set<string>([k]);
      const sep = k.indexOf(':');
      const identities = [{ namespace: k.slice(0, sep), id: k.slice(sep + 1) }];
      for (const g of group) {
        for (const i of identitiesOfEvent(JSON.parse(g.json) as Record<string, unknown>)) {
          if (!seen.has(`${i.namespace}:${i.id}`)) {
            seen.add(`${i.namespace}:${i.id}`);
            identities.push(i);
          }
        }
      }
      const newest = Math.max(...group.map((g) => g.ingestTime));
      await emit(overlaid(emptyProfile(identities), await evaluatedOf(k)), newest, group);
      if (signal.aborted) return;
    }
  };

  const peek = <T>(c: Cursor<T>) => c.peek();
  for (let head = peek(fragments); ; head = peek(fragments)) {
    if (head instanceof Promise) head = await head;
    if (!head || signal.aborted) break;
    const key = head.key;
    if (events) await drainEventsBefore(key);
    const raw: FragmentOut[] = [];
    let newest = 0;
    for (let f = peek(fragments); ; f = peek(fragments)) {
      if (f instanceof Promise) f = await f;
      if (!f || f.key !== key) break;
      raw.push(fragments.take());
      if (f.ingestTime > newest) newest = f.ingestTime;
    }
    const profileEvents: EventOut[] = [];
    if (events) for (let e = await next(events); e && e.key === key; e = await next(events)) profileEvents.push(events.take());
    const rows = evaluated ? await evaluatedOf(key) : NO_EVALUATED;
    const only = raw.length === 1 ? raw[0] : undefined;
    // identitiesJson is stored only for records without an `identities` of their own (ingest decides).
    if (only && stored.fits(only.jsonBytes, only.identitiesJson)) {
      const written = emitText(only, newest, rows, profileEvents);
      if (written) await written;
      continue;
    }
    await emitMerged(raw, newest, rows, profileEvents);
  }
  if (!signal.aborted && events) await drainEventsBefore(undefined);
}
