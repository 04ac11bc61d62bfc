/** GET /v1/audit (scope `admin`): pages the append-only audit log. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AuditPageSchema, AuditQuerySchema } from '../schemas.ts';
import type { RouteDeps } from '../app.ts';

export const auditRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/v1/audit', {
      config: { scope: 'admin' },
      schema: { summary: 'Audit log of consent changes, exports, erasures and admin actions', tags: ['privacy'], querystring: AuditQuerySchema, response: { 200: AuditPageSchema } },
      handler: async (req) => deps.engine.audit.page(req.query.from, req.query.limit),
    });
  };
