/**
 * Data-subject rights (scope `admin`): export everything held about a subject, and erase it.
 * An unknown subject gets an empty export and a receipt saying nothing was held.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErasureReceiptSchema, SubjectParamsSchema } from '../schemas.ts';
import type { RouteDeps } from '../app.ts';
import { endpoint } from '../endpoints.ts';
import { whileStoreReachable } from '../store-guard.ts';

export const subjectRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/v1/features/:subject', {
      config: { ...endpoint('GET /v1/features/:subject'), errors: ['IOB_ERR_WRONG_WORKER'] },
      schema: {
        summary: "A subject's current features (inspection)",
        description: 'The subject view and a session view, as the online store serves them now. An unknown subject reads as zeros.',
        tags: ['features'],
        params: SubjectParamsSchema,
        querystring: z.object({ session: z.string().min(1).max(256).optional().describe('raw session id; default: the session derived from events without one') }),
        response: { 200: z.object({ subject: z.record(z.string(), z.number()), session: z.record(z.string(), z.number()) }) },
      },
      handler: async (req) => deps.engine.subjectFeatures(req.params.subject, req.query.session),
    });
    app.get('/v1/subjects/:subject/export', {
      config: { ...endpoint('GET /v1/subjects/:subject/export'), errors: ['IOB_ERR_UNAVAILABLE'] },
      onRequest: whileStoreReachable(deps.engine),
      schema: {
        summary: 'Export everything held about a subject (machine-readable JSON)',
        description: 'Consent timeline and revisions, stored events, derived features and embeddings, and the models and purposes that used them.',
        tags: ['privacy'],
        params: SubjectParamsSchema,
        response: { 200: z.record(z.string(), z.unknown()) },
      },
      handler: async (req) => deps.engine.subjects.export(req.params.subject, req.principal!.id),
    });
    app.delete('/v1/subjects/:subject', {
      config: { ...endpoint('DELETE /v1/subjects/:subject'), errors: ['IOB_ERR_UNAVAILABLE'] },
      onRequest: whileStoreReachable(deps.engine),
      schema: {
        summary: 'Erase a subject',
        description:
          "Purges the subject's events from the stream, its features, embeddings and cached scores, tombstones its consent record and adds its pseudonym to the erasure list every training-set build excludes. Returns a receipt.",
        tags: ['privacy'],
        params: SubjectParamsSchema,
        response: { 200: ErasureReceiptSchema },
      },
      handler: async (req) => deps.engine.subjects.erase(req.params.subject, req.principal!.id),
    });
  };
