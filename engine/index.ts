/** The engine's door: everything other rooms may use. */
export * from './config.ts';
export * from './errors.ts';
export * from './event-schema.ts';
export { createBoundary, problemsFromZod, safeKey, type BoundaryOutcome } from './ingest-boundary.ts';
export { createPseudonymizer, PSEUDONYM_PATTERN, type Pseudonymizer } from './pseudonymize.ts';
export { looksPersonal, looksLikeEmail, looksLikePhone, isPersonalKey, geohash } from './redact.ts';
export { EVENTS_STREAM, eventSubject, encodeEvent, decodeEvent } from './event-log.ts';
export { createJetStreamPublisher, PublishError, type JetStreamPublisher, type PubAck } from './jetstream-publisher.ts';
export { INGEST_SUBJECT, extractEvents } from './boundary-worker.ts';
export type { EventResult, EventStatus, IngestReport, IngestCounters } from './ingest.ts';
export type { ConsumerStats, EventSink } from './stream-consumer.ts';
export { EventCounters } from './event-counters.ts';
export { startNatsServer, findNatsServer, NATS_INSTALL_HINT, type NatsServer, type NatsServerOptions } from './nats-server.ts';
export { ensureDataDir, ensureDemoApiKey, ensurePseudonymKey } from './secrets.ts';
export { createLogger, REDACT_PATHS, type Logger } from './logger.ts';
export { startEngine, type Engine, type EngineStats, type StartEngineOptions } from './engine.ts';
