/**
 * The record of processing activities (GDPR Art. 30 / PIPEDA accountability), generated from what the
 * code declares: purposes with lawful basis and retention, feature views and the purpose each serves,
 * models, and the endpoints the caller passes in. Never hand-written, so it cannot drift from the code.
 */
import { DEFAULT_HISTORIES, DEFAULT_VIEWS } from './features/definitions.ts';
import { PURPOSES, type Purpose } from './purposes.ts';

export interface EndpointEntry {
  endpoint: string;
  scope: string;
  purpose?: Purpose;
  data: string;
}

export interface ModelEntry {
  name: string;
  purpose: Purpose;
  features: readonly string[];
}

export function buildProcessingRecord(input: { endpoints: readonly EndpointEntry[]; models?: readonly ModelEntry[]; controller?: string }) {
  const views = [...DEFAULT_VIEWS.map((v) => ({ name: v.name, entity: v.entity, purpose: v.purpose, ttlDays: v.ttlMs / 86_400_000, features: v.features.map((f) => f.name) })),
    ...DEFAULT_HISTORIES.map((h) => ({ name: h.name, entity: h.entity, purpose: h.purpose, ttlDays: h.retentionDays, features: ['daily demand history'] }))];
  return {
    generatedAt: new Date().toISOString(),
    controller: input.controller ?? 'the operator of this deployment',
    dataSubjects: 'visitors and customers of the shop whose behavior the shop sends',
    personalData: {
      collected: 'behavior events: event time, event type, item, category, price, quantity, coarse context (channel, device, 5-character geohash, referrer origin)',
      identifiers: 'subject and session ids, kept only as keyed HMAC-SHA256 pseudonyms; raw values never stored',
      droppedAtIngest: 'names, e-mail addresses, phone numbers and similar fields; IP addresses; user agents; personal-looking property values are redacted',
    },
    purposes: Object.values(PURPOSES).map((p) => ({
      ...p,
      featureViews: views.filter((v) => v.purpose === p.id).map((v) => v.name),
      models: (input.models ?? []).filter((m) => m.purpose === p.id).map((m) => m.name),
      endpoints: input.endpoints.filter((e) => e.purpose === p.id).map((e) => e.endpoint),
    })),
    featureViews: views,
    models: input.models ?? [],
    endpoints: input.endpoints,
    recipients: 'none outside the deployment; scores and forecasts are returned to the shop that sent the events',
    transfers: 'none by the engine',
    security: ['pseudonymization at the ingest boundary', 'API keys with scopes, compared in constant time', 'append-only audit log of consent changes, exports and erasures', 'logs and metrics without identifiers'],
    rights: { export: 'GET /v1/subjects/:subject/export', erasure: 'DELETE /v1/subjects/:subject', consent: 'PUT /v1/consent/:subject' },
  };
}
export type ProcessingRecord = ReturnType<typeof buildProcessingRecord>;
