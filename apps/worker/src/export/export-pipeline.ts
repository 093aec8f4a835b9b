import type { ProfileReader, EventOut, FragmentOut } from '@sx/persistence';
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
} from '@sx/export';
import type { ExportPlan } from './export-plan';
import { compareKeys } from './key-order';
import type { ExportRow } from './writers/row-writer';

/** Where rows go: `segments` are the indexes of the plan's segments the profile qualified for. */
export type RowSink = (row: ExportRow, segments: readonly number[]) => void | Promise<void>;

export interface PipelineCounters {
  profiles: number;
  byNamespace: Record<string, number>;
}

class Peekable<T> {
  private head?: IteratorResult<T>;
  constructor(private readonly it: AsyncIterator<T>) {}
  async peek(): Promise<T | undefined> {
    this.head ??= await this.it.next();
    return this.head.done ? undefined : this.head.value;
  }
  async take(): Promise<T | undefined> {
    const v = await this.peek();
    this.head = undefined;
    return v;
  }
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

/**
 * Reads fragments (and events) ordered by profile key, merges one profile at a time, keeps the
 * ones the job selects, projects them and hands them to the sink. Memory: one profile.
 */
export async function runExportPipeline(
  reader: ProfileReader,
  plan: ExportPlan,
  sink: RowSink,
  signal: AbortSignal,
  counters: PipelineCounters,
): Promise<void> {
  const rule = mergeRuleOf(plan.policy.attributeMerge);
  const project = compileProjection(plan.fields, plan.segments);
  const projectEvent = plan.eventList ? compileEventProjection(plan.eventList.fields) : undefined;
  const wantEmpty = plan.emptyProfiles && !plan.segments;
  const everySegment: readonly number[] = [];
  // Fast path: with nothing to select, project or attach, a profile of one fragment is that
  // fragment's text plus `identities` (built by Postgres): no parse, no merge, no stringify.
  const passThrough = !plan.fields?.trim() && !plan.segments && !plan.eventList;
  const fragments = new Peekable<FragmentOut>(reader.fragments[Symbol.asyncIterator]());
  const events = reader.events ? new Peekable<EventOut>(reader.events[Symbol.asyncIterator]()) : undefined;

  const eventsInWindow = (list: EventOut[]): EventInput[] => {
    const out: EventInput[] = [];
    for (const e of list) {
      if (plan.eventList?.afterMs !== undefined && !(e.ingestTime > plan.eventList.afterMs)) continue;
      if (plan.eventList?.upToMs !== undefined && !(e.ingestTime <= plan.eventList.upToMs)) continue;
      out.push({ record: JSON.parse(e.json), timestamp: e.timestamp, ingestTime: e.ingestTime });
    }
    return out;
  };

  const started = Date.now();
  /** EXPORT_RATE_LIMIT: wait (in short, abortable steps) until this profile's turn. */
  const pace = async () => {
    if (!plan.rateLimit) return;
    for (let due = started + (counters.profiles * 1000) / plan.rateLimit; Date.now() < due && !signal.aborted; ) {
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
    await sink({ primaryNamespace: ns, primaryId: merged.primaryIdentity.id, profile }, segments);
    await pace();
  };

  /** The fast path's row: the stored text with `identities` spliced in before its closing brace. */
  const emitText = async (f: FragmentOut, newestIngest: number) => {
    if (plan.fromIngestMs !== undefined && !(newestIngest > plan.fromIngestMs)) return;
    const end = f.json.lastIndexOf('}');
    const profileJson = `${f.json.slice(0, end)},"identities":${f.identitiesJson}}`;
    const sep = f.primaryIdentity.indexOf(':');
    const ns = f.primaryIdentity.slice(0, sep);
    counters.profiles++;
    counters.byNamespace[ns] = (counters.byNamespace[ns] ?? 0) + 1;
    await sink({ primaryNamespace: ns, primaryId: f.primaryIdentity.slice(sep + 1), profileJson }, everySegment);
    await pace();
  };

  /** Events with keys before `key` belong to profiles without fragments: empty profiles. */
  const drainEventsBefore = async (key: string | undefined) => {
    if (!events) return;
    for (let e = await events.peek(); e && (key === undefined || compareKeys(e.key, key) < 0); e = await events.peek()) {
      const group: EventOut[] = [];
      const k = e.key;
      for (let x = await events.peek(); x && x.key === k; x = await events.peek()) group.push((await events.take())!);
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
      await emit(emptyProfile(identities), newest, group);
      if (signal.aborted) return;
    }
  };

  for (let head = await fragments.peek(); head; head = await fragments.peek()) {
    if (signal.aborted) return;
    const key = head.key;
    await drainEventsBefore(key);
    const raw: FragmentOut[] = [];
    let newest = 0;
    for (let f = await fragments.peek(); f && f.key === key; f = await fragments.peek()) {
      raw.push((await fragments.take())!);
      if (f.ingestTime > newest) newest = f.ingestTime;
    }
    const profileEvents: EventOut[] = [];
    if (events) for (let e = await events.peek(); e && e.key === key; e = await events.peek()) profileEvents.push((await events.take())!);
    const only = raw.length === 1 ? raw[0] : undefined;
    if (passThrough && only?.identitiesJson && !only.json.includes('"identities"')) {
      await emitText(only, newest);
      continue;
    }
    const group: FragmentInput[] = raw.map((f) => ({ record: JSON.parse(f.json), datasetId: f.datasetId, recordTime: f.recordTime, ingestTime: f.ingestTime }));
    await emit(mergeProfile(group, rule), newest, profileEvents);
  }
  if (!signal.aborted) await drainEventsBefore(undefined);
}
