/** GET /v1/audit (scope `admin`): pages the append-only audit log. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { buildProcessingRecord } from '../../engine/index.ts';
import { AuditPageSchema, AuditQuerySchema } from '../schemas.ts';
import { ENDPOINTS, type EndpointDeclaration } from '../endpoints.ts';
import type { RouteDeps } from '../app.ts';
import { INTENT_MODEL_DECLARATION } from '../intent-service.ts';
import { OFFERS_MODEL_DECLARATION } from '../offers-service.ts';
import { endpoint } from '../endpoints.ts';
import { whileStoreReachable } from '../store-guard.ts';

export const auditRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/v1/audit', {
      config: { ...endpoint('GET /v1/audit'), errors: ['IOB_ERR_UNAVAILABLE'] },
      onRequest: whileStoreReachable(deps.engine),
      schema: { summary: 'Audit log of consent changes, exports, erasures and admin actions', tags: ['privacy'], querystring: AuditQuerySchema, response: { 200: AuditPageSchema } },
      handler: async (req) => deps.engine.audit.page(req.query.from, req.query.limit),
    });
    app.get('/v1/processing-record', {
      config: endpoint('GET /v1/processing-record'),
      schema: { summary: 'Record of processing activities, generated from the declarations in code', tags: ['privacy'] },
      handler: async () => processingRecord(),
    });
  };

export function processingRecord() {
  const endpoints = Object.entries(ENDPOINTS).map(([key, d]) => ({ endpoint: key, ...(d as EndpointDeclaration) }));
  return buildProcessingRecord({ endpoints, models: [INTENT_MODEL_DECLARATION, OFFERS_MODEL_DECLARATION] });
}
