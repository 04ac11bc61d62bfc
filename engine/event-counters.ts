/**
 * The foundation's engine state: event counts per pseudonymous subject and per item, by event type.
 * The feature store replaces it; it already follows the sink contract (exactly once by sequence).
 */
import { EVENT_TYPES, type EventType, type StoredEvent } from './event-schema.ts';
import type { EventSink } from './stream-consumer.ts';

const TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;

export class EventCounters implements EventSink {
  lastSeq = 0;
  readonly bySubject = new Map<string, Uint32Array>();
  readonly byItem = new Map<string, Uint32Array>();

  apply(event: StoredEvent, seq: number): void {
    const t = TYPE_INDEX[event.type];
    bump(this.bySubject, event.sid, t);
    if (event.item !== undefined) bump(this.byItem, event.item, t);
    this.lastSeq = seq;
  }

  skip(seq: number): void {
    this.lastSeq = seq;
  }

  subject(sid: string): Record<EventType, number> | undefined {
    return toRecord(this.bySubject.get(sid));
  }

  item(item: string): Record<EventType, number> | undefined {
    return toRecord(this.byItem.get(item));
  }
}

function bump(map: Map<string, Uint32Array>, key: string, t: number) {
  let counts = map.get(key);
  if (!counts) map.set(key, (counts = new Uint32Array(EVENT_TYPES.length)));
  counts[t]!++;
}

function toRecord(counts: Uint32Array | undefined): Record<EventType, number> | undefined {
  if (!counts) return undefined;
  return Object.fromEntries(EVENT_TYPES.map((t, i) => [t, counts[i]!])) as Record<EventType, number>;
}
