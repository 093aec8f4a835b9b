/**
 * `additionalFields.eventList` from the events' stored bytes: the same list as attachEvents of the
 * parsed events (oldest first by timestamp, then ingestTime, then input order; each projected to
 * the eventList fields, `{}` when it has none of them), written as `"eventList":[...]`.
 */
import type { ByteBuilder } from './byte-builder';
import { compileObjectSelection } from './stored-projection';

export interface StoredEvent {
  /** ms: the event's own `timestamp`. */
  timestamp: number;
  /** ms */
  ingestTime: number;
  jsonBytes: Buffer;
}

const EVENT_LIST = Buffer.from('"eventList":[');

function olderFirst(a: StoredEvent, b: StoredEvent): number {
  return a.timestamp - b.timestamp || a.ingestTime - b.ingestTime;
}

function isOrdered(events: readonly StoredEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (olderFirst(events[i - 1], events[i]) > 0) return false;
  return true;
}

/** Compile once per job: writes the `"eventList":[...]` member (appended to `out`). */
export function compileStoredEventList(fields: string | undefined): (events: readonly StoredEvent[], out: ByteBuilder) => void {
  const select = compileObjectSelection(fields);
  return (events, out) => {
    // Events usually arrive in order from the store; sort (a copy: sort is stable) only when they do not.
    const ordered = isOrdered(events) ? events : events.slice().sort(olderFirst);
    out.bytes(EVENT_LIST);
    for (let i = 0; i < ordered.length; i++) {
      if (i > 0) out.byte(44); // ,
      select(ordered[i].jsonBytes, out);
    }
    out.byte(93); // ]
  };
}
