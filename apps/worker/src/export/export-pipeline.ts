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
  appendMembersToBytes,
  compileMembershipPicker,
  compileMembershipRestriction,
  compileStoredProjection,
  compileMergeInputProjection,
  ByteBuilder,
  overlayMemberships,
  spliceMembersInBytes,
} from '@sx/export';
import { type ExportPlan, emptyProfilesWanted, storedTextRows } from './export-plan';
import { compareKeys } from './key-order';
import type { ExportRow } from './writers/row-writer';

/** Where rows go: `segments` are the indexes of the plan's segments the profile qualified for. */
export type RowSink = (row: ExportRow, segments: readonly number[]) => void | Promise<void>;

export interface PipelineCounters {
  profiles: number;
  byNamespace: Record<string, number>;
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

  const eventsInWindow = (list: EventOut[]): EventInput[] => {
    const out: EventInput[] = [];
    for (const e of list) {
      if (plan.eventList?.afterMs !== undefined && !(e.ingestTime > plan.eventList.afterMs)) continue;
      if (plan.eventList?.upToMs !== undefined && !(e.ingestTime <= plan.eventList.upToMs)) continue;
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
    const written = sink({ primaryNamespace: ns, primaryId: merged.primaryIdentity.id, profile }, segments);
    if (written) await written;
    if (plan.rateLimit) await pace();
  };
  return { emit, pace };
}

const NO_EVALUATED: readonly EvaluatedOut[] = [];

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
  const everySegment: readonly number[] = [];
  // Fast path: with no events to attach, a profile of one fragment is that fragment's text plus
  // `identities` (stored at ingest), and with a segment filter only the exported segments'
  // memberships; with `fields`, those selected from its bytes: no merge, and only the exported
  // segments' entries of segmentMembership are parsed.
  const fromStoredText = storedTextRows(plan);
  const projectStored = plan.fields ? compileStoredProjection(plan.fields) : undefined;
  // One row's bytes at a time: the sink copies them before the pipeline reads the next profile.
  const projected = new ByteBuilder();
  // With `fields`, a profile that must be merged parses only what the merge and the projection
  // can use of each fragment (the selected paths, identityMap and the exported segments' entries).
  const cutForMerge = plan.fields ? compileMergeInputProjection(plan.fields, !plan.segments) : undefined;
  const mergeInput = (f: FragmentOut): FragmentInput['record'] => {
    if (!cutForMerge) return JSON.parse(f.json) as Record<string, unknown>;
    const record = JSON.parse(cutForMerge(f.jsonBytes, projected).toString('utf8')) as Record<string, unknown>;
    if (pickMemberships) {
      const { kept } = pickMemberships(f.jsonBytes, f.membershipAt);
      if (kept) record.segmentMembership = kept;
    }
    return record;
  };
  const pickMemberships = plan.segments ? compileMembershipPicker(plan.segments) : undefined;
  // An overlaid membership gets the exported segments' entries back in the order listed.
  const restrict = plan.segments ? compileMembershipRestriction(plan.segments) : undefined;
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

  /**
   * The fast path's row: the stored text with `identities` appended (or with `fields`, the
   * selection from its bytes) and, under a segment filter, its segmentMembership replaced by the
   * exported segments' entries (the profile qualifies by those entries, exactly as a merged one would).
   */
  const emitText = (f: FragmentOut, newestIngest: number, rows: readonly EvaluatedOut[]): void | Promise<void> => {
    if (plan.fromIngestMs !== undefined && !(newestIngest > plan.fromIngestMs)) return;
    let segments = everySegment;
    // The bytes Postgres sent: nothing decoded or re-encoded.
    const bytes = f.jsonBytes;
    let profileParts: ExportRow['profileParts'];
    if (plan.segments) {
      // Qualifying looks only at the exported segments' entries, so these few are all it needs.
      const picked = pickMemberships!(bytes, f.membershipAt);
      const { span } = picked;
      const kept = rows.length ? restrict!(overlayMemberships(picked.kept, rows)) : picked.kept;
      segments = qualifiesAny(kept, plan.segments, plan.qualifiedBetween);
      if (!segments.length) return;
      if (projectStored) profileParts = { head: projectStored(bytes, { identitiesJson: f.identitiesJson!, picked: { span, kept } }, projected), tail: '' };
      else profileParts = spliceMembersInBytes(bytes, span, `"identities":${f.identitiesJson}${kept ? `,"segmentMembership":${JSON.stringify(kept)}` : ''}`);
    } else if (projectStored) {
      profileParts = { head: projectStored(bytes, { identitiesJson: f.identitiesJson! }, projected), tail: '' };
    } else {
      profileParts = appendMembersToBytes(bytes, `"identities":${f.identitiesJson}`);
    }
    const sep = f.primaryIdentity.indexOf(':');
    const ns = f.primaryIdentity.slice(0, sep);
    counters.profiles++;
    counters.byNamespace[ns] = (counters.byNamespace[ns] ?? 0) + 1;
    const written = sink({ primaryNamespace: ns, primaryId: f.primaryIdentity.slice(sep + 1), profileParts }, segments);
    if (plan.rateLimit) return Promise.resolve(written).then(pace);
    return written;
  };

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
    if (fromStoredText && only?.identitiesJson) {
      const written = emitText(only, newest, rows);
      if (written) await written;
      continue;
    }
    const group: FragmentInput[] = raw.map((f) => ({
      record: mergeInput(f),
      datasetId: f.datasetId,
      recordTime: f.recordTime,
      ingestTime: f.ingestTime,
    }));
    await emit(overlaid(mergeProfile(group, rule), rows), newest, profileEvents);
  }
  if (!signal.aborted && events) await drainEventsBefore(undefined);
}
