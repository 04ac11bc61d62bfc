/**
 * The event log: JetStream stream IOB_EVENTS, one subject per pseudonymous subject (`iob.events.<sid>`)
 * so a person's messages can be purged by subject filter. Stored events travel as msgpackr.
 */
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import type { StoredEvent } from './event-schema.ts';
import { encodeEvent } from './event-wire.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';

export const EVENTS_STREAM = 'IOB_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'iob.events.';
/** Where the engine publishes an event; on a partitioned deployment the server maps it (see below). */
export const eventSubject = (sid: string) => EVENTS_SUBJECT_PREFIX + sid;

/**
 * Partitioned deployments (IOB_PARTITIONS = N > 1) let nats-server map `iob.events.<sid>` onto
 * `iob.events.<p>.<sid>` with its `partition(N, 1)` subject mapping, so each worker consumes its partitions
 * with a filter. The server hashes the token with FNV-1a (32 bit) modulo N; the engine computes the same to
 * find where a person's messages are stored (tested against a real server).
 */
export function partitionOf(sid: string, partitions: number): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(sid, 'utf8');
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h % partitions;
}

/** The subject a person's events are stored under. */
export const storedSubject = (sid: string, partitions: number) =>
  partitions > 1 ? `${EVENTS_SUBJECT_PREFIX}${partitionOf(sid, partitions)}.${sid}` : EVENTS_SUBJECT_PREFIX + sid;

/** What a partition's consumer filters on. */
export const partitionSubject = (partition: number) => `${EVENTS_SUBJECT_PREFIX}${partition}.*`;

/** The server mapping a partitioned deployment needs (nats-server config `mappings { … }`). */
export const partitionMapping = (partitions: number): [from: string, to: string] => [
  `${EVENTS_SUBJECT_PREFIX}*`,
  `${EVENTS_SUBJECT_PREFIX}{{partition(${partitions},1)}}.{{wildcard(1)}}`,
];

/** Messages are msgpack (engine/event-wire.ts). */
export { encodeEvent, decodeEvent } from './event-wire.ts';

export interface EventStreamOptions {
  maxAgeMs: number;
  duplicateWindowMs: number;
  replicas: number;
  /** > 1: the stream holds the server-mapped subjects `iob.events.<p>.<sid>` (default 1) */
  partitions?: number;
}

/** Creates IOB_EVENTS, or brings an existing one's limits in line with the configuration. */
export async function ensureEventStream(jsm: JetStreamManager, options: EventStreamOptions): Promise<void> {
  const wanted: Partial<StreamConfig> = {
    name: EVENTS_STREAM,
    subjects: [(options.partitions ?? 1) > 1 ? `${EVENTS_SUBJECT_PREFIX}*.*` : `${EVENTS_SUBJECT_PREFIX}*`],
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
    if (c.subjects?.join() !== wanted.subjects!.join()) {
      throw new Error(
        `${EVENTS_STREAM} holds subjects ${c.subjects?.join(', ')} but IOB_PARTITIONS asks for ${wanted.subjects!.join(', ')}: ` +
          'the partition layout of an existing stream cannot change in place (replay into a new stream, or keep the setting)',
      );
    }
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

/** Not async: one promise per event, the publisher's own (ingest publishes a batch's events at once). */
export function publishEvent(publisher: JetStreamPublisher, event: StoredEvent): Promise<PublishResult> {
  let data: Uint8Array;
  try {
    data = encodeEvent(event);
  } catch (err) {
    return Promise.reject(err);
  }
  return publisher.publish(eventSubject(event.sid), data, { msgId: event.eid, expectStream: EVENTS_STREAM });
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || e?.code === '404' || /not found/i.test(e?.message ?? '');
}
