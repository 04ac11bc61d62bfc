/**
 * Producers may publish raw events on core NATS (`iob.ingest.>`, JSON: one event, an array, or
 * {"events":[…]}). The boundary workers form a queue group, so each message is handled once across all
 * engine processes, and apply the same boundary as HTTP before anything is persisted. A request (a
 * message with a reply subject) gets the per-event report back; a plain publish is fire-and-forget.
 */
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { Ingestor } from './ingest.ts';

export const INGEST_SUBJECT = 'iob.ingest.>';
export const INGEST_QUEUE = 'iob-boundary';

export interface BoundaryWorker {
  readonly received: number;
  stop(): Promise<void>;
}

export function extractEvents(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && Array.isArray((body as { events?: unknown }).events)) {
    return (body as { events: unknown[] }).events;
  }
  if (body && typeof body === 'object') return [body];
  return undefined;
}

/** Batches in flight per worker; past it the worker stops reading and NATS buffers (bounded flow). */
const MAX_INFLIGHT = 64;

export function startBoundaryWorker(nc: NatsConnection, ingestor: Ingestor, log: Logger, maxBatch: number): BoundaryWorker {
  let received = 0;
  const inflight = new Set<Promise<void>>();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const sub: Subscription = nc.subscribe(INGEST_SUBJECT, { queue: INGEST_QUEUE });

  const handle = async (msg: Msg) => {
    const reply = (payload: unknown) => {
      if (msg.reply) msg.respond(encoder.encode(JSON.stringify(payload)));
    };
    let events: unknown[] | undefined;
    try {
      events = extractEvents(JSON.parse(decoder.decode(msg.data)));
    } catch {
      events = undefined;
    }
    if (!events) {
      reply({ code: 'IOB_ERR_MALFORMED_JSON', message: 'payload is not a JSON event, array of events or {"events":[…]}' });
      return;
    }
    if (events.length > maxBatch) {
      reply({ code: 'IOB_ERR_BATCH_TOO_LARGE', message: `at most ${maxBatch} events per message` });
      return;
    }
    reply(await ingestor.ingest(events));
  };

  const loop = (async () => {
    for await (const msg of sub) {
      received++;
      const task: Promise<void> = handle(msg)
        .catch((err) => log.error({ err }, 'ingest over NATS failed'))
        .finally(() => inflight.delete(task));
      inflight.add(task);
      if (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight);
    }
  })();

  return {
    get received() {
      return received;
    },
    async stop() {
      await sub.drain();
      await loop;
      await Promise.all(inflight);
    },
  };
}
