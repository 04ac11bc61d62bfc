/**
 * Consent per subject (scope `consent`): PUT records grants and withdrawals with source and notice
 * version; GET shows the current state and the timeline. The raw subject id in the path is pseudonymized
 * by the engine and never logged (logs carry route patterns).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IobError } from '../../engine/index.ts';
import { ConsentPutSchema, ConsentViewSchema, SubjectParamsSchema } from '../schemas.ts';
import type { RouteDeps } from '../app.ts';
import { endpoint } from '../endpoints.ts';
import { whileStoreReachable } from '../store-guard.ts';

export const consentRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.put('/v1/consent/:subject', {
      config: { ...endpoint('PUT /v1/consent/:subject'), errors: ['IOB_ERR_UNAVAILABLE'] },
      onRequest: whileStoreReachable(deps.engine),
      schema: {
        summary: "Record a subject's consent choices",
        tags: ['privacy'],
        params: SubjectParamsSchema,
        body: ConsentPutSchema,
        response: { 200: ConsentViewSchema },
      },
      handler: async (req) => {
        const { purposes, source, notice, at } = req.body;
        const when = at === undefined ? undefined : typeof at === 'number' ? at : Date.parse(at);
        // A choice takes effect at its time: one dated ahead (a CMP's wrong clock, microseconds for
        // milliseconds) would leave a withdrawal without effect until then. The events' skew applies.
        if (when !== undefined && when > Date.now() + deps.engine.config.maxFutureSkewMs) {
          throw new IobError('IOB_ERR_VALIDATION', undefined, [{ path: 'body.at', reason: 'future_timestamp', message: 'the choice is dated in the future' }]);
        }
        return deps.engine.subjects.updateConsent(req.params.subject, { purposes, source, notice, at: when }, req.principal!.id);
      },
    });
    app.get('/v1/consent/:subject', {
      config: endpoint('GET /v1/consent/:subject'),
      schema: {
        summary: "A subject's consent: current state per purpose and the timeline of changes",
        description: 'A subject never seen reads as the defaults (no consent-based purpose granted).',
        tags: ['privacy'],
        params: SubjectParamsSchema,
        response: { 200: ConsentViewSchema },
      },
      handler: async (req) => deps.engine.subjects.consent(req.params.subject),
    });
  };
