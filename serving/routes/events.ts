/**
 * POST /v1/events — batch ingest (scope `ingest`). The envelope is checked here; each event is checked
 * on its own by the engine's boundary, so one bad event never costs its neighbours their place.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IobError } from '../../engine/index.ts';
import { IngestRequestSchema, IngestResponseSchema } from '../schemas.ts';
import type { RouteDeps } from '../app.ts';
import { endpoint } from '../endpoints.ts';
import { unknownFieldsMessage } from '../error-handler.ts';

export const eventsRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/v1/events', {
      config: { ...endpoint('POST /v1/events'), errors: ['IOB_ERR_BATCH_TOO_LARGE', 'IOB_ERR_UNAVAILABLE'] },
      schema: {
        summary: 'Ingest a batch of behavior events',
        description:
          `Up to ${deps.maxBatch} events. Identifiers are pseudonymized, personal fields dropped or redacted, and each event ` +
          'gets its own result. `accepted` means the event store acknowledged it. On 503, retry the batch: event ids dedupe.',
        tags: ['events'],
        body: IngestRequestSchema,
        response: { 200: IngestResponseSchema, 503: IngestResponseSchema.describe('some valid events were not acknowledged (`failed`): retry them') },
      },
      // Per-event validation happens in the boundary; the framework must not reject the whole batch.
      validatorCompiler: () => (data) => ({ value: data }),
      // The report is built by the engine in exactly the documented shape; re-validating up to 1,000
      // results per batch on the way out would cost more than the ingest itself.
      serializerCompiler: () => (data) => JSON.stringify(data),
      handler: async (req, reply) => {
        const body = req.body as unknown;
        const events = body && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
        if (!Array.isArray(events)) {
          throw new IobError('IOB_ERR_VALIDATION', undefined, [
            { path: 'events', reason: 'invalid_type', message: 'expected an array of events' },
          ]);
        }
        // The envelope is strict, as every request body (an event's own unknown fields are dropped and reported)
        const unknown = Object.keys(body as object).filter((key) => key !== 'events');
        if (unknown.length > 0) {
          throw new IobError('IOB_ERR_VALIDATION', undefined, [
            { path: 'body', reason: 'unrecognized_keys', message: unknownFieldsMessage(unknown) },
          ]);
        }
        if (events.length === 0) {
          throw new IobError('IOB_ERR_VALIDATION', undefined, [{ path: 'events', reason: 'too_small', message: 'at least one event' }]);
        }
        if (events.length > deps.maxBatch) {
          throw new IobError('IOB_ERR_BATCH_TOO_LARGE', `at most ${deps.maxBatch} events per batch`, [
            { path: 'events', reason: 'too_big', message: `at most ${deps.maxBatch} events` },
          ]);
        }
        if (!deps.engine.isReady()) throw new IobError('IOB_ERR_UNAVAILABLE');
        const report = await deps.engine.ingest(events);
        if (req.headers['sec-gpc'] === '1') await recordGpcForBatch(deps, events, report.results, req.principal!.id);
        if (report.failed > 0) {
          reply.header('retry-after', '1');
          return reply.code(503).send(report);
        }
        return report;
      },
    });
  };

/** Sec-GPC: 1 on a batch opts each of its (accepted) subjects out of personalization. */
async function recordGpcForBatch(deps: RouteDeps, events: unknown[], results: { status: string }[], actor: string) {
  const subjects = new Set<string>();
  results.forEach((r, i) => {
    const subject = (events[i] as { subject?: unknown }).subject;
    if (r.status !== 'rejected' && (typeof subject === 'string' || typeof subject === 'number')) subjects.add(String(subject));
  });
  for (const subject of subjects) await deps.engine.subjects.recordGpc(subject, actor);
}
