/**
 * The engine's durable pull consumer on IOB_EVENTS: applies every stream message to a sink in stream
 * order, exactly once (the sink remembers the last sequence it reflects; anything at or below it is
 * skipped), and acks after the sink changed. Acks are cumulative (AckPolicy.All), sent at the end of each
 * burst, so acking costs one message per burst rather than one per event.
 */
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import type { Logger } from 'pino';
import { EVENTS_STREAM, decodeEvent, isNotFound } from './event-log.ts';
import type { StoredEvent } from './event-schema.ts';

/** Longest stretch the consumer applies messages without letting timers and requests run (ms). */
const SLICE_MS = 2;

export interface EventSink {
  /** The last stream sequence this sink reflects (0 when empty). */
  readonly lastSeq: number;
  apply(event: StoredEvent, seq: number): void;
  /** Advance past a message that cannot be applied (undecodable), so it is not retried forever. */
  skip(seq: number): void;
}

export interface ConsumerStats {
  lastSeq: number;
  applied: number;
  duplicatesSkipped: number;
  undecodable: number;
  /** messages in the stream not yet delivered to this consumer (from the server, refreshed every 2 s) */
  lag: number;
  /** events applied per second over the last refresh interval */
  throughput: number;
}

export interface StreamConsumer {
  stats(): ConsumerStats;
  /** Resolves once the sink reflects `seq` (or rejects after timeoutMs). */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once the sink has applied everything this consumer's filter matches up to stream sequence
   * `seq` (a filtered consumer may never see `seq` itself): nothing pending, and all delivered applied.
   */
  waitForFiltered(seq: number, timeoutMs?: number): Promise<void>;
  /**
   * Applies nothing more until the returned function is called (messages wait, delivered or not): a
   * snapshot that lets the event loop run while it packs keeps a state that does not change under it.
   */
  hold(): () => void;
  stop(): Promise<void>;
}

export interface StreamConsumerOptions {
  durable: string;
  sink: EventSink;
  log: Logger;
  filterSubject?: string;
  batch?: number;
}

export async function startStreamConsumer(
  js: JetStreamClient,
  jsm: JetStreamManager,
  options: StreamConsumerOptions,
): Promise<StreamConsumer> {
  const { sink, log, durable } = options;
  // The sink is the source of truth for what was applied: (re)position the durable consumer just past it.
  const position = async () => {
    try {
      await jsm.consumers.delete(EVENTS_STREAM, durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const startSeq = sink.lastSeq + 1;
    await jsm.consumers.add(EVENTS_STREAM, {
      durable_name: durable,
      ack_policy: AckPolicy.All,
      deliver_policy: startSeq > 1 ? DeliverPolicy.StartSequence : DeliverPolicy.All,
      ...(startSeq > 1 ? { opt_start_seq: startSeq } : {}),
      ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
      max_ack_pending: 100_000,
      ack_wait: 30_000_000_000,
    });
    nextDelivery = 1;
    return js.consumers.get(EVENTS_STREAM, durable);
  };
  /** the consumer sequence the next delivery must carry; a jump means deliveries were lost on the way */
  let nextDelivery = 1;
  /** set when the consumer must be re-created just past the sink (lost deliveries, a missing durable) */
  let reposition = false;
  let consumer = await position();
  // Pulls expire after 5 s (nats.js's default is 30 s) and the server heartbeats an idle pull every 2.5 s:
  // a pull lost with a dying consumer leader is noticed by missed heartbeats and pulled again within ~5 s.
  const open = () => consumer.consume({ max_messages: options.batch ?? 2000, expires: 5000 });
  let messages = await open();
  let stopped = false;

  let applied = 0;
  let duplicatesSkipped = 0;
  let undecodable = 0;
  let lag = 0;
  let throughput = 0;
  let unacked: JsMsg | undefined;
  let sinceAck = 0;
  const waiters = new Set<{ seq: number; resolve: () => void }>();

  const ackNow = () => {
    if (unacked) {
      unacked.ack();
      unacked = undefined;
      sinceAck = 0;
    }
  };
  const ackTimer = setInterval(ackNow, 100);
  ackTimer.unref();

  let lastApplied = 0;
  let lastRefresh = Date.now();
  // Watchdog: when a cluster node dies, a pull whose consumer leader was on it can stay silent while
  // messages wait, and nats.js's own retry (an info request, then a pull) can wait out its timeouts first.
  // Pending messages and no progress, not held, for two refreshes in a row: pull again.
  let stalledRefreshes = 0;
  let appliedAtLastRefresh = 0;
  const refresh = async () => {
    try {
      const info = await consumer.info();
      lag = info.num_pending;
      stalledRefreshes = lag > 0 && applied === appliedAtLastRefresh && holds === 0 ? stalledRefreshes + 1 : 0;
      appliedAtLastRefresh = applied;
      if (stalledRefreshes >= 2 && !stopped) {
        stalledRefreshes = 0;
        log.warn({ durable, lag }, 'consumer stalled with messages pending; pulling again');
        messages.stop(); // ends the loop's iteration; the loop opens a new pull
      }
    } catch (err) {
      // The durable is gone (deleted by an operator, or a stream restored without it): nats.js would keep
      // asking for it without end. Re-create it just past the sink, as on a gap. Anything else: the broker is
      // unreachable; keep the last figure (readiness reports the outage).
      if (consumerMissing(err) && !stopped && !reposition) {
        log.warn({ durable }, 'consumer missing on the server; re-creating it');
        reposition = true;
        messages.stop();
      }
    }
    const now = Date.now();
    throughput = ((applied - lastApplied) * 1000) / Math.max(1, now - lastRefresh);
    lastApplied = applied;
    lastRefresh = now;
  };
  const refreshTimer = setInterval(refresh, 2000);
  refreshTimer.unref();

  // A backlog arrives as buffered messages that the async iterator hands over in microtasks, so without a
  // pause now and then a catch-up would starve timers (snapshots, acks) and HTTP requests until it ends.
  // The pause is by time, not by count: a slice of at most ~SLICE_MS, so a request that arrives while the
  // consumer works waits that long at most (1,000 messages were 10–15 ms: a scoring p99 of as much).
  let holds = 0;
  let released: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let sinceCheck = 0;
  let sliceStart = performance.now();
  let applying = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for await (const m of messages) {
          if (++sinceCheck >= 32) {
            sinceCheck = 0;
            if (performance.now() - sliceStart >= SLICE_MS) {
              await new Promise<void>((resolve) => setImmediate(resolve));
              sliceStart = performance.now();
            }
          }
          while (released) await released;
          const { stream: seq, consumer: delivery } = deliverySequences(m);
          if (delivery > nextDelivery) {
            // Messages the server delivered never reached this loop (a connection dropped with them in flight,
            // or a stalled pull was abandoned with them buffered). Acks are cumulative: acking past them would
            // acknowledge them unapplied, and the server would not redeliver them before ack_wait. Reposition
            // the consumer just past what the sink holds instead; nothing after the gap is applied or acked.
            log.warn({ durable, expected: nextDelivery, got: delivery, lastSeq: sink.lastSeq }, 'deliveries lost in flight; repositioning the consumer');
            reposition = true;
            break;
          }
          if (delivery === nextDelivery) nextDelivery++;
          if (seq <= sink.lastSeq) {
            duplicatesSkipped++;
          } else {
            let event: StoredEvent | undefined;
            try {
              event = decodeEvent(m.data);
            } catch {
              undecodable++;
              log.error({ seq }, 'undecodable message in the event stream; skipped');
            }
            if (event) {
              applying = true;
              sink.apply(event, seq);
              applying = false;
              applied++;
            } else {
              sink.skip(seq);
            }
          }
          unacked = m;
          if (++sinceAck >= 1000 || messages.getPending() === 0) ackNow();
          if (waiters.size) {
            for (const w of waiters) if (sink.lastSeq >= w.seq) (waiters.delete(w), w.resolve());
          }
        }
      } catch (err) {
        // A pull that ends in an error (its consumer deleted, the stream gone) must not end the consumer; a
        // sink that throws does (re-reading the same event would throw again).
        if (applying) throw err;
        if (stopped) break;
        log.warn({ durable, err: { message: (err as Error).message } }, 'pull ended with an error; re-creating the consumer');
        reposition = true;
      }
      if (stopped) break;
      ackNow();
      await new Promise((r) => setTimeout(r, 100));
      if (reposition) {
        messages.stop();
        while (reposition && !stopped) {
          try {
            consumer = await position();
            reposition = false;
          } catch (err) {
            log.warn({ durable, err: { message: (err as Error).message } }, 'repositioning the consumer failed; retrying');
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
        if (stopped) break;
      }
      messages = await open();
    }
  })().catch((err) => log.error({ err }, 'stream consumer stopped'));

  return {
    stats: () => ({ lastSeq: sink.lastSeq, applied, duplicatesSkipped, undecodable, lag, throughput }),
    hold() {
      if (holds++ === 0) released = new Promise<void>((resolve) => (release = resolve));
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (--holds === 0) {
          released = undefined;
          release!();
        }
      };
    },
    waitFor(seq, timeoutMs = 10_000) {
      if (sink.lastSeq >= seq) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          seq,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`consumer did not reach sequence ${seq} within ${timeoutMs} ms (at ${sink.lastSeq})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async waitForFiltered(seq, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (sink.lastSeq >= seq) return;
        const info = await consumer.info();
        if (info.num_pending === 0 && info.delivered.stream_seq <= sink.lastSeq && info.delivered.stream_seq >= 0) {
          const stream = await jsm.streams.info(EVENTS_STREAM);
          if (stream.state.last_seq >= seq) return;
        }
        if (Date.now() > deadline) throw new Error(`consumer ${durable} did not catch up to sequence ${seq} within ${timeoutMs} ms (at ${sink.lastSeq})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      clearInterval(ackTimer);
      stopped = true;
      clearInterval(refreshTimer);
      messages.stop();
      await loop;
      ackNow();
    },
  };
}

function consumerMissing(err: unknown): boolean {
  const e = err as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10014 || /consumer not found/i.test(e?.message ?? '');
}

/**
 * The stream and consumer sequences of a delivered message, read in place from its ack subject. nats.js's
 * `m.seq` / `m.info` first parse the whole subject into a DeliveryInfo object (nine fields) per message —
 * measurable at tens of thousands of messages per second, when the consumer needs these two numbers.
 * The two layouts:
 *   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
 *   $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>…]
 * Anything else goes through nats.js. The object returned is reused by the next call.
 */
export function deliverySequences(m: JsMsg): { stream: number; consumer: number } {
  const reply = (m as JsMsg & { reply?: string }).reply;
  if (reply?.startsWith('$JS.ACK.')) {
    let dots = 0;
    for (let i = 0; i < reply.length; i++) if (reply.charCodeAt(i) === 46) dots++;
    // token index of <sseq>: 5 in the 9-token layout, 7 in the 11-or-more-token one; <cseq> follows it
    const wanted = dots === 8 ? 5 : dots >= 10 ? 7 : -1;
    if (wanted > 0) {
      let token = 0;
      let i = 0;
      for (; i < reply.length && token < wanted; i++) if (reply.charCodeAt(i) === 46) token++;
      const stream = numberAt(reply, i);
      const consumer = stream >= 0 ? numberAt(reply, numberEnd + 1) : -1;
      if (consumer >= 0) {
        parsed.stream = stream;
        parsed.consumer = consumer;
        return parsed;
      }
    }
  }
  parsed.stream = m.seq;
  parsed.consumer = m.info?.deliverySequence ?? 0;
  return parsed;
}

const parsed = { stream: 0, consumer: 0 };
/** where the last numberAt stopped (the dot after the number) */
let numberEnd = 0;
/** The decimal number from `start` to the next dot; -1 when empty, not digits, or the last token. */
function numberAt(s: string, start: number): number {
  let n = 0;
  let i = start;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) break;
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  numberEnd = i;
  return i > start && i < s.length ? n : -1;
}
