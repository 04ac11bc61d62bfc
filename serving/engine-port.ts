/**
 * What the HTTP layer needs from the engine, and nothing more. The engine's `Engine` satisfies it;
 * serving never reaches past this port into engine internals.
 */
import type { AuditLog, CatalogView, Config, ConsentRegistry, FeatureStore, Pseudonymizer, EngineStats, ForecastStore, IngestReport, RecentItemsState, SubjectRights } from '../engine/index.ts';

export interface ServingEngine {
  ingest(events: readonly unknown[]): Promise<IngestReport>;
  isReady(): boolean;
  stats(): EngineStats;
  readonly subjects: SubjectRights;
  /** the clock skew tolerated on client times (events, consent choices) */
  readonly config: Pick<Config, 'maxFutureSkewMs'>;
  subjectFeatures(subject: string, session?: string): { subject: Record<string, number>; session: Record<string, number> };
  /** the same features by pseudonymous ids into typed arrays (store name order), allocating nothing: the per-request scoring read */
  readSubjectFeatures(sid: string, ssid: string | undefined, subjectOut: Float32Array, sessionOut: Float32Array): void;
  readonly audit: Pick<AuditLog, 'page'>;
  /** the published demand forecasts (aggregate only) */
  readonly forecasts: Pick<ForecastStore, 'current' | 'get'>;
  /** the boundary's keyed hash, so per-request consent checks use the same pseudonym (POST /v1/intent) */
  readonly pseudonymize: Pseudonymizer;
  /** the local consent view: no I/O per check */
  readonly consent: Pick<ConsentRegistry, 'allowed' | 'get'>;
  /** the online store's feature names, which models bind their inputs to when a version loads */
  readonly features: Pick<FeatureStore, 'featureNames'>;
  /** 421 IOB_ERR_WRONG_WORKER unless this worker holds the person's state (partitioned deployments) */
  assertHolds(sid: string): void;
  /** online offers state (recent items, session categories), personalization-gated (POST /v1/offers) */
  readonly recentItems: Pick<RecentItemsState, 'forRanking'>;
  /** the shared catalog's local view; PUT /v1/catalog writes through it */
  readonly catalog: Pick<CatalogView, 'get' | 'entries' | 'version' | 'size' | 'upsert' | 'replace' | 'onChange'>;
}
