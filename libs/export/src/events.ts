/**
 * `additionalFields.eventList`: a profile's events, oldest first, each projected to the eventList
 * `fields` (DESIGN.md section 3, step 4).
 */
import { parseFieldPaths, selectFields } from './paths';
import type { PlainObject } from './plain-object';

export interface EventInput {
  record: PlainObject;
  /** ms: the event's own `timestamp`. */
  timestamp: number;
  /** ms */
  ingestTime: number;
}

/** The projected event; with blank fields the event record itself (shared, not copied). */
export type EventProjection = (event: PlainObject) => PlainObject;

/** Same paths as compileProjection, without its identityMap/segmentMembership rule. Compile once per job. */
export function compileEventProjection(fields: string | undefined): EventProjection {
  const tree = parseFieldPaths(fields);
  if (tree === undefined) return (event) => event;
  // An event that has none of the fields still happened: it stays in the list as `{}`.
  return (event) => selectFields(event, tree) ?? {};
}

/**
 * Sets `row.eventList` (an empty list when there are no events): the events sorted by timestamp,
 * then ingestTime, then input order, and projected. The input list is not reordered.
 */
export function attachEvents(row: PlainObject, events: readonly EventInput[], project: EventProjection): void {
  // Events usually arrive in order from the store; sort (a copy) only when they do not.
  const ordered = isOrdered(events) ? events : events.slice().sort(olderFirst);
  const eventList = new Array<PlainObject>(ordered.length);
  for (let i = 0; i < ordered.length; i++) eventList[i] = project(ordered[i].record);
  row.eventList = eventList;
}

function olderFirst(a: EventInput, b: EventInput): number {
  return a.timestamp - b.timestamp || a.ingestTime - b.ingestTime;
}

function isOrdered(events: readonly EventInput[]): boolean {
  for (let i = 1; i < events.length; i++) if (olderFirst(events[i - 1], events[i]) > 0) return false;
  return true;
}
