/**
 * Ingest a batch: every event crosses the boundary on its own, valid ones are published to the stream
 * concurrently, and each gets its own result. A bad neighbour never costs a valid event its place; an
 * event is reported `accepted` only once the stream acknowledged it.
 */
import type { Problem } from './errors.ts';
import type { BoundaryOutcome } from './ingest-boundary.ts';
import { publishEvent } from './event-log.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';

export type EventStatus = 'accepted' | 'duplicate' | 'rejected' | 'failed';

export interface EventResult {
  index: number;
  status: EventStatus;
  /** stream sequence of the stored event (accepted and duplicate) */
  seq?: number;
  problems?: Problem[];
  /** fields removed at the boundary (personal data or unknown fields) */
  dropped?: string[];
  /** fields whose values were replaced because they looked like e-mail addresses or phone numbers */
  redacted?: string[];
}

export interface IngestReport {
  results: EventResult[];
  accepted: number;
  duplicate: number;
  rejected: number;
  failed: number;
  /** highest stream sequence written by this batch (0 when none) */
  lastSeq: number;
}

export interface IngestCounters {
  accepted: number;
  duplicate: number;
  rejected: number;
  failed: number;
  dropped_fields: number;
  redacted_fields: number;
}

export interface Ingestor {
  ingest(events: readonly unknown[]): Promise<IngestReport>;
  readonly counters: Readonly<IngestCounters>;
}

export function createIngestor(publisher: JetStreamPublisher, crossBoundary: (raw: unknown) => BoundaryOutcome): Ingestor {
  const counters: IngestCounters = { accepted: 0, duplicate: 0, rejected: 0, failed: 0, dropped_fields: 0, redacted_fields: 0 };

  async function ingest(events: readonly unknown[]): Promise<IngestReport> {
    const results: EventResult[] = new Array(events.length);
    let lastSeq = 0;
    // One completion for the batch, counted down by the acks: Promise.all over up to 1,000 promises would
    // add a reaction and a closure per event on top of the publish itself.
    let outstanding = 0;
    let allSettled: (() => void) | undefined;
    const settle = () => {
      if (--outstanding === 0) allSettled?.();
    };
    for (let index = 0; index < events.length; index++) {
      const outcome = crossBoundary(events[index]);
      if (!outcome.ok) {
        results[index] = { index, status: 'rejected', problems: outcome.problems };
        continue;
      }
      const result: EventResult = { index, status: 'failed' };
      if (outcome.dropped.length) result.dropped = outcome.dropped;
      if (outcome.redacted.length) result.redacted = outcome.redacted;
      results[index] = result;
      outstanding++;
      publishEvent(publisher, outcome.event).then(
        (ack) => {
          result.status = ack.duplicate ? 'duplicate' : 'accepted';
          result.seq = ack.seq;
          if (ack.seq > lastSeq) lastSeq = ack.seq;
          settle();
        },
        () => {
          result.problems = [{ path: '', reason: 'unavailable', message: 'the event store did not acknowledge this event; retry' }];
          settle();
        },
      );
    }
    // Acks resolve in later microtasks, so the waiter is in place before the first one counts down.
    if (outstanding > 0) await new Promise<void>((resolve) => (allSettled = resolve));
    const report: IngestReport = { results, accepted: 0, duplicate: 0, rejected: 0, failed: 0, lastSeq };
    for (const r of results) {
      report[r.status]++;
      if (r.dropped) counters.dropped_fields += r.dropped.length;
      if (r.redacted) counters.redacted_fields += r.redacted.length;
    }
    counters.accepted += report.accepted;
    counters.duplicate += report.duplicate;
    counters.rejected += report.rejected;
    counters.failed += report.failed;
    return report;
  }

  return { ingest, counters };
}
