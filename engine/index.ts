/** The engine's door: everything other rooms may use. */
export * from './config.ts';
export * from './errors.ts';
export { isStoreUnreachable } from './store-unreachable.ts';
export * from './event-schema.ts';
export { createBoundary, problemsFromZod, safeKey, type BoundaryOutcome } from './ingest-boundary.ts';
export { createPseudonymizer, PSEUDONYM_PATTERN, type Pseudonymizer } from './pseudonymize.ts';
export { looksPersonal, looksLikeEmail, looksLikePhone, isPersonalKey, geohash } from './redact.ts';
export { EVENTS_STREAM, eventSubject, storedSubject, partitionOf, partitionMapping, encodeEvent, decodeEvent } from './event-log.ts';
export { LEASES_BUCKET } from './cluster/partition-leases.ts';
export { SNAPSHOTS_BUCKET, type PartitionedState } from './cluster/partitioned-state.ts';
export { createJetStreamPublisher, PublishError, type JetStreamPublisher, type PubAck } from './jetstream-publisher.ts';
export { INGEST_SUBJECT, extractEvents } from './boundary-worker.ts';
export type { EventResult, EventStatus, IngestReport, IngestCounters } from './ingest.ts';
export type { ConsumerStats, EventSink } from './stream-consumer.ts';
export { startNatsServer, findNatsServer, NATS_INSTALL_HINT, type NatsServer, type NatsServerOptions } from './nats-server.ts';
export { ensureDataDir, ensureDemoApiKey, ensurePseudonymKey } from './secrets.ts';
export { createLogger, REDACT_PATHS, type Logger } from './logger.ts';
export { startEngine, type Engine, type EngineStats, type StartEngineOptions } from './engine.ts';
export { PURPOSES, PURPOSE_IDS, isPurpose, type Purpose, type PurposeDeclaration, type LawfulBasis } from './purposes.ts';
export { admittedAt, allowedAt, currentState, withChanges, emptyRecord, type ConsentChange, type ConsentRecord } from './consent/consent-record.ts';
export { openConsentRegistry, CONSENT_BUCKET, type ConsentRegistry, type ConsentListener } from './consent/consent-registry.ts';
export { openAuditLog, AUDIT_STREAM, type AuditLog, type AuditEntry, type AuditAction } from './audit-log.ts';
export { createSubjectRights, type SubjectRights, type ConsentUpdate, type ConsentView, type SubjectDataHolder, type ErasureReceipt } from './subject-rights.ts';
export { openErasureList, ERASURE_BUCKET, type ErasureList } from './erasure-list.ts';
export { openCatalogStore, watchCatalog, catalogKey, CatalogEntrySchema, CATALOG_BUCKET, type CatalogEntry, type CatalogStore, type CatalogLoadReport, type CatalogView } from './catalog.ts';
export { RecentItemsState, RECENT_ITEMS, type RecentItem, type SubjectOffersState } from './recent-items.ts';
export { readSubjectEvents, purgeSubjectEvents } from './subject-events.ts';
export { buildProcessingRecord, type ProcessingRecord, type EndpointEntry, type ModelEntry } from './processing-record.ts';
// Feature store: declarative views, the online store, snapshots, point-in-time training rows (engine/features).
export {
  DEFAULT_VIEWS,
  DEFAULT_HISTORIES,
  SUBJECT_VIEW,
  SESSION_VIEW,
  ITEM_VIEW,
  CATEGORY_VIEW,
  ENTITIES,
  type Entity,
  type FeatureView,
  type Feature,
  type Aggregation,
  type DemandHistoryView,
  type Window,
} from './features/definitions.ts';
export { TILE_WINDOWS, WINDOW_SHAPES, type TileWindow } from './features/time-windows.ts';
export { FeatureDefinitionError } from './features/plan.ts';
export {
  FeatureStore,
  DEFAULT_ALLOWED_LATENESS_MS,
  DEFAULT_SESSION_GAP_MS,
  type FeatureEvent,
  type FeatureReader,
  type FeatureStoreOptions,
  type FeatureStoreStats,
  type ReadTarget,
} from './features/online-store.ts';
export type { DemandHistory } from './features/keyed-state.ts';
export { sessionKey, assignSessions, type SessionAssignment } from './features/sessions.ts';
export { encodeSnapshot, decodeSnapshot, writeSnapshot, readSnapshot, snapshotToObjectStore, snapshotFromObjectStore } from './features/snapshot.ts';
export { buildPointInTimeRows, type LabelRow, type PointInTimeOptions, type TrainingRows } from './features/point-in-time.ts';
export { buildPointInTimeRowsInParallel, PARALLEL_MIN_EVENTS, prewarmBuildWorker, stopBuildWorker, type ParallelBuildOptions } from './features/parallel-build.ts';
export { EventColumns } from './features/event-columns.ts';
export { openForecastStore, FORECAST_BUCKET, type ForecastStore, type ForecastDocument, type SeriesForecast, type ForecastKind, type ForecastAccuracy } from './forecast-store.ts';
export { instantiateWasm, type WasmMemory } from './wasm-module.ts';
