/** Liveness, readiness and metrics: public, identifier-free. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HealthSchema, ReadySchema } from '../schemas.ts';
import type { RouteDeps } from '../app.ts';

export const healthRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const started = Date.now();
    app.get('/healthz', {
      schema: { summary: 'Liveness', tags: ['operations'], response: { 200: HealthSchema } },
      handler: async () => ({ status: 'ok' as const, uptimeSeconds: (Date.now() - started) / 1000 }),
    });
    app.get('/readyz', {
      schema: { summary: 'Readiness: false while the event store is unreachable', tags: ['operations'], response: { 200: ReadySchema, 503: ReadySchema } },
      handler: async (_req, reply) => {
        const nats = deps.engine.isReady();
        const partitions = deps.engine.stats().partitions;
        return reply.code(nats ? 200 : 503).send({ ready: nats, checks: { nats }, ...(partitions ? { partitions } : {}) });
      },
    });
    app.get('/metrics', {
      schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] },
      handler: async (_req, reply) => {
        reply.header('content-type', deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
      },
    });
  };
