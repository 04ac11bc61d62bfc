/**
 * Next-best offers (scope `score`, purpose `personalization`) and the catalog they come from (scope
 * `admin`). The ranking is serving/offers-service.ts; this file is the HTTP contract.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IobError } from '../../engine/index.ts';
import { CatalogPutResponseSchema, CatalogPutSchema, OffersRequestSchema, OffersResponseSchema } from '../schemas.ts';
import { endpoint } from '../endpoints.ts';
import type { ServingEngine } from '../engine-port.ts';
import { jsonString } from '../json-text.ts';
import { perTurnBatch } from '../turn-batch.ts';
import { whileStoreReachable } from '../store-guard.ts';
import type { OffersAnswer, OffersService } from '../offers-service.ts';

export const offersRoutes = (offers: OffersService, engine: Pick<ServingEngine, 'catalog' | 'isReady'>, batch?: number): FastifyPluginAsyncZod =>
  async (app) => {
    // Requests that arrive in the same event-loop turn are ranked together, once all are read (turn-batch.ts).
    const rankInTurn = perTurnBatch((...a: Parameters<OffersService['offers']>) => offers.offers(...a), batch);
    app.post('/v1/offers', {
      config: { ...endpoint('POST /v1/offers'), errors: ['IOB_ERR_OFFERS_UNAVAILABLE', 'IOB_ERR_WRONG_WORKER'] },
      schema: {
        summary: 'Next-best offers for a subject in a session',
        description:
          "Ranks the serving offers model's items for the subject from its recent items and the session's categories (in memory, pure TypeScript): " +
          'candidates from the recent items\' neighbours and co-occurring items, items trending in the session\'s categories, and the most popular items; ' +
          'filtered by the catalog (out of stock, not eligible now), recent purchases and `exclude`. Each offer names its reason. ' +
          'Consent is checked on every request: without `personalization` (or with `Sec-GPC: 1`), or for a subject or items the model does not know, the answer is the popular fallback with `personalized: false` and a `note`. ' +
          '`context.explore: "epsilon"` adds ε-greedy exploration and a `propensity` per offer. Items the catalog does not list are valid offers with unknown price. ' +
          '400 naming `k` outside 1–100; 503 `IOB_ERR_OFFERS_UNAVAILABLE` until an offers version has loaded.',
        tags: ['scores'],
        body: OffersRequestSchema,
        response: { 200: OffersResponseSchema },
      },
      // The hot path: the answer is built in the documented shape (typed by OffersResponseSchema) and written
      // as is, like POST /v1/intent; re-validating ten offers with zod per request is a cost the shape never
      // needs, and JSON.stringify of them cost ~6 µs (see offersAnswerJson). Other statuses: plain JSON.
      serializerCompiler: ({ httpStatus }) => (httpStatus === '200' ? (data) => offersAnswerJson(data as OffersAnswer) : (data) => JSON.stringify(data)),
      handler: (req) => rankInTurn(req.body, req.headers['sec-gpc'] === '1'),
    });
    app.put('/v1/catalog', {
      config: { ...endpoint('PUT /v1/catalog'), errors: ['IOB_ERR_UNAVAILABLE'] },
      onRequest: whileStoreReachable(engine),
      schema: {
        summary: 'Add, update or replace offer catalog entries',
        description:
          'Entries are validated like `iob catalog load` (every problem names `body.items.<row>.<field>`; nothing is written unless all are valid) and written to the shared catalog (NATS KV `IOB_CATALOG`), which every serving process follows. ' +
          '`mode: "upsert"` (default) adds or updates the given entries; `mode: "replace"` makes the catalog exactly these entries.',
        tags: ['offers'],
        body: CatalogPutSchema,
        response: { 200: CatalogPutResponseSchema },
      },
      handler: async (req) => {
        const { items, mode } = req.body;
        const seen = new Map<string, number>();
        items.forEach((e, row) => {
          const first = seen.get(e.id);
          if (first !== undefined) throw new IobError('IOB_ERR_VALIDATION', undefined, [{ path: `body.items.${row}.id`, reason: 'duplicate', message: `the same id as body.items.${first}.id` }]);
          seen.set(e.id, row);
        });
        if (mode === 'replace') return { mode, ...(await engine.catalog.replace(items)) };
        return { mode, items: items.length, removed: 0, ...(await engine.catalog.upsert(items)) };
      },
    });
  };

/**
 * JSON.stringify(answer), byte for byte (test/serving/offers-json.test.ts), for the shape the offers service
 * builds (keys in its order); an answer with a non-finite number goes to JSON.stringify.
 */
export function offersAnswerJson(a: OffersAnswer): string {
  let s = '{"offers":[';
  for (let i = 0; i < a.offers.length; i++) {
    const o = a.offers[i]!;
    if (!Number.isFinite(o.score) || (o.propensity !== undefined && !Number.isFinite(o.propensity))) return JSON.stringify(a);
    const propensity = o.propensity === undefined ? '' : `,"propensity":${o.propensity}`;
    s += `${i ? ',' : ''}{"item":${jsonString(o.item)},"score":${o.score},"reason":"${o.reason}"${propensity}}`;
  }
  const note = a.note === undefined ? '' : `,"note":"${a.note}"`;
  return `${s}],"personalized":${a.personalized},"modelVersion":${jsonString(a.modelVersion)}${note}}`;
}
