/**
 * Prometheus metrics. Labels are route patterns, outcomes and status codes only: a metric never carries an
 * identifier. Engine figures are read when scraped (collect), so the hot path pays one histogram update.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServingEngine } from './engine-port.ts';

export function createMetrics(engine: ServingEngine) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'iob_' });

  const httpDuration = new Histogram({
    name: 'iob_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });

  new Counter({
    name: 'iob_ingest_events_total',
    help: 'Events through the ingest boundary by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const c = engine.stats().ingest;
      this.reset();
      for (const outcome of ['accepted', 'duplicate', 'rejected', 'failed'] as const) this.inc({ outcome }, c[outcome]);
    },
  });
  new Counter({
    name: 'iob_ingest_fields_total',
    help: 'Fields dropped or redacted at the privacy boundary',
    labelNames: ['action'] as const,
    registers: [registry],
    collect() {
      const c = engine.stats().ingest;
      this.reset();
      this.inc({ action: 'dropped' }, c.dropped_fields);
      this.inc({ action: 'redacted' }, c.redacted_fields);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('iob_consumer_lag_messages', 'Stream messages not yet delivered to the engine consumer', () => engine.stats().consumer.lag);
  gauge('iob_consumer_last_sequence', 'Last stream sequence applied to the engine state', () => engine.stats().consumer.lastSeq);
  gauge('iob_consumer_applied_events', 'Events applied to the engine state since start', () => engine.stats().consumer.applied);
  gauge('iob_consumer_throughput_events_per_second', 'Events applied per second (recent)', () => engine.stats().consumer.throughput);
  gauge('iob_ready', '1 while the event store is reachable', () => (engine.isReady() ? 1 : 0));

  return { registry, httpDuration };
}
export type Metrics = ReturnType<typeof createMetrics>;
