/**
 * Every HTTP endpoint that touches personal data, with its scope and the purpose it serves: the
 * declaration routes take their config from, and the record of processing is generated from. A test
 * holds the registered routes equal to this table.
 */
import type { Purpose, Scope } from '../engine/index.ts';

export interface EndpointDeclaration {
  scope: Scope;
  /** the purpose the endpoint's use of personal data serves; none for administrative access */
  purpose?: Purpose;
  /** what personal data the endpoint reads or writes */
  data: string;
}

export const ENDPOINTS = {
  'POST /v1/events': { scope: 'ingest', data: 'behavior events (pseudonymized at the boundary)' },
  'PUT /v1/consent/:subject': { scope: 'consent', data: 'consent choices' },
  'GET /v1/consent/:subject': { scope: 'consent', data: 'consent choices' },
  'GET /v1/features/:subject': { scope: 'admin', data: "one subject's current feature values" },
  'GET /v1/subjects/:subject/export': { scope: 'admin', data: 'everything held about one subject' },
  'DELETE /v1/subjects/:subject': { scope: 'admin', data: 'everything held about one subject' },
  'GET /v1/audit': { scope: 'admin', data: 'audit log (pseudonymous ids, API key ids)' },
  'GET /v1/processing-record': { scope: 'admin', data: 'none' },
  'POST /v1/intent': { scope: 'score', purpose: 'personalization', data: "one subject's online features, read to score purchase intent (only with personalization consent)" },
  'POST /v1/offers': { scope: 'score', purpose: 'personalization', data: "one subject's recent items and session categories, read to rank offers (only with personalization consent)" },
  'PUT /v1/catalog': { scope: 'admin', data: 'none: the offer catalog (items, categories, prices, stock)' },
  'GET /v1/models': { scope: 'admin', data: 'none: which model versions serve, and load failures' },
  'GET /v1/forecasts': { scope: 'forecast:read', purpose: 'forecasting', data: 'none: units per item or category summed over everyone' },
  'GET /v1/forecasts/series': { scope: 'forecast:read', purpose: 'forecasting', data: 'none: units per item or category summed over everyone' },
  'GET /v1/forecasts/top': { scope: 'forecast:read', purpose: 'forecasting', data: 'none: units per item or category summed over everyone' },
} as const satisfies Record<string, EndpointDeclaration>;

export type EndpointKey = keyof typeof ENDPOINTS;

/** Route config for an endpoint: its scope (and purpose) from the table above. */
export const endpoint = (key: EndpointKey) => ({ ...(ENDPOINTS[key] as EndpointDeclaration), endpoint: key });
