/**
 * One person's events in IOB_EVENTS, found by their subject (`iob.events.<sid>`, or `iob.events.<p>.<sid>`
 * when partitioned): read for an export, purged (subject-filtered purge) for an erasure.
 */
import type { JetStreamClient, JetStreamManager } from 'nats';
import { EVENTS_STREAM, decodeEvent, storedSubject } from './event-log.ts';
import type { StoredEvent } from './event-schema.ts';

export async function readSubjectEvents(js: JetStreamClient, jsm: JetStreamManager, sid: string, partitions = 1): Promise<(StoredEvent & { seq: number })[]> {
  const subject = storedSubject(sid, partitions);
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subject });
  const expected = info.state.subjects?.[subject] ?? 0;
  const out: (StoredEvent & { seq: number })[] = [];
  if (expected === 0) return out;
  const consumer = await js.consumers.get(EVENTS_STREAM, { filterSubjects: subject });
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push({ ...decodeEvent(m.data), seq: m.seq });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

/** Removes every stored event of the subject; returns how many were purged. */
export async function purgeSubjectEvents(jsm: JetStreamManager, sid: string, partitions = 1): Promise<number> {
  const response = await jsm.streams.purge(EVENTS_STREAM, { filter: storedSubject(sid, partitions) });
  return response.purged;
}
