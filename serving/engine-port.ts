/**
 * What the HTTP layer needs from the engine, and nothing more. The engine's `Engine` satisfies it;
 * serving never reaches past this port into engine internals.
 */
import type { AuditLog, EngineStats, ForecastStore, IngestReport, SubjectRights } from '../engine/index.ts';

export interface ServingEngine {
  ingest(events: readonly unknown[]): Promise<IngestReport>;
  isReady(): boolean;
  stats(): EngineStats;
  readonly subjects: SubjectRights;
  subjectFeatures(subject: string, session?: string): { subject: Record<string, number>; session: Record<string, number> };
  readonly audit: Pick<AuditLog, 'page'>;
  /** the published demand forecasts (aggregate only) */
  readonly forecasts: Pick<ForecastStore, 'current' | 'get'>;
}
