/**
 * The event log: JetStream stream IOB_EVENTS, one subject per pseudonymous subject (`iob.events.<sid>`)
 * so a person's messages can be purged by subject filter. Stored events travel as msgpackr.
 */
import { Packr } from 'msgpackr';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import type { StoredEvent } from './event-schema.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';

export const EVENTS_STREAM = 'IOB_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'iob.events.';
export const eventSubject = (sid: string) => EVENTS_SUBJECT_PREFIX + sid;

/** Records (shared structures) would make messages depend on each other; every message stands alone. */
const packr = new Packr({ useRecords: false, moreTypes: false });
export const encodeEvent = (event: StoredEvent): Uint8Array => packr.pack(event);
export const decodeEvent = (data: Uint8Array): StoredEvent => packr.unpack(data) as StoredEvent;

export interface EventStreamOptions {
  maxAgeMs: number;
  duplicateWindowMs: number;
  replicas: number;
}

/** Creates IOB_EVENTS, or brings an existing one's limits in line with the configuration. */
export async function ensureEventStream(jsm: JetStreamManager, options: EventStreamOptions): Promise<void> {
  const wanted: Partial<StreamConfig> = {
    name: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_PREFIX}*`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(Math.min(options.duplicateWindowMs, options.maxAgeMs)),
    num_replicas: options.replicas,
    deny_delete: true,
    deny_purge: false,
  };
  try {
    const info = await jsm.streams.info(EVENTS_STREAM);
    const c = info.config;
    if (c.max_age !== wanted.max_age || c.duplicate_window !== wanted.duplicate_window || c.num_replicas !== wanted.num_replicas) {
      await jsm.streams.update(EVENTS_STREAM, { ...c, ...wanted });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(wanted);
  }
}

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

export async function publishEvent(publisher: JetStreamPublisher, event: StoredEvent): Promise<PublishResult> {
  const ack = await publisher.publish(eventSubject(event.sid), encodeEvent(event), { msgId: event.eid, expectStream: EVENTS_STREAM });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || e?.code === '404' || /not found/i.test(e?.message ?? '');
}
