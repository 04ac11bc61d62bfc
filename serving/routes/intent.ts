/**
 * Purchase intent (scope `score`, purpose `personalization`) and the serving models' status (scope `admin`).
 * The scoring itself is serving/intent-service.ts; this file is the HTTP contract.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IntentRequestSchema, IntentResponseSchema, ModelsStatusSchema } from '../schemas.ts';
import { endpoint } from '../endpoints.ts';
import { jsonString } from '../json-text.ts';
import { perTurnBatch } from '../turn-batch.ts';
import type { IntentAnswer, IntentService } from '../intent-service.ts';
import type { ServingModelStatus } from '../../models/registry-watch.ts';

const NO_REASONS = { reasons: false } as const;

export const intentRoutes = (intent: IntentService, others: { offers?: { status(): ServingModelStatus }; batch?: number } = {}): FastifyPluginAsyncZod =>
  async (app) => {
    // Requests that arrive in the same event-loop turn are scored together, once all are read (turn-batch.ts).
    const scoreInTurn = perTurnBatch((...a: Parameters<IntentService['score']>) => intent.score(...a), others.batch);
    app.post('/v1/intent', {
      config: { ...endpoint('POST /v1/intent'), errors: ['IOB_ERR_MODEL_UNAVAILABLE', 'IOB_ERR_WRONG_WORKER'] },
      schema: {
        summary: 'Purchase intent of a subject in a session, now',
        description:
          "Scores from the subject's online features with the serving model version (pure-TypeScript forward pass, in memory). " +
          'Consent is checked on every request: with `personalization` consent the answer is personalized and names the features that moved it most (unless the request sets `reasons: false`); ' +
          'without it (or with `Sec-GPC: 1`), or for a subject the engine knows nothing about, the answer is the model\'s training base rate with `personalized: false` and a `note`. ' +
          'A promoted version replaces the serving one without a restart. 503 `IOB_ERR_MODEL_UNAVAILABLE` until a version has loaded.',
        tags: ['scores'],
        body: IntentRequestSchema,
        response: { 200: IntentResponseSchema },
      },
      // The hot path: the answer is built in the documented shape (typed by IntentResponseSchema) and
      // written as is; re-validating it with zod on every request cost more than reading the features,
      // and JSON.stringify of it more than auth (see intentAnswerJson). Other statuses: plain JSON.
      serializerCompiler: ({ httpStatus }) => (httpStatus === '200' ? (data) => intentAnswerJson(data as IntentAnswer) : (data) => JSON.stringify(data)),
      handler: (req) => scoreInTurn(req.body.subject, req.body.session, req.headers['sec-gpc'] === '1', req.body.reasons === false ? NO_REASONS : undefined),
    });
    app.get('/v1/models', {
      config: endpoint('GET /v1/models'),
      schema: {
        summary: 'Which model versions serve, and the last load failure',
        description:
          "Serving follows each task's SERVING.json in the model registry. A promoted version that fails to load leaves the previous one serving; the failure is reported here (and logged).",
        tags: ['operations'],
        response: { 200: ModelsStatusSchema },
      },
      handler: async () => ({ intent: intent.status(), ...(others.offers ? { offers: others.offers.status() } : {}) }),
    });
  };

/**
 * JSON.stringify(answer), byte for byte (test/serving/intent-json.test.ts), written by hand: the keys are
 * fixed, strings are names the service chose, numbers are finite (the score is calibrated, reasons skip
 * non-finite contributions; anything else goes to JSON.stringify).
 */
export function intentAnswerJson(a: IntentAnswer): string {
  if (!Number.isFinite(a.score)) return JSON.stringify(a);
  let reasons = '';
  for (let i = 0; i < a.reasons.length; i++) {
    const r = a.reasons[i]!;
    reasons += `${i ? ',' : ''}{"feature":${jsonString(r.feature)},"direction":"${r.direction}","contribution":${r.contribution}}`;
  }
  const note = a.note === undefined ? '' : `,"note":"${a.note}"`;
  return `{"score":${a.score},"modelVersion":${jsonString(a.modelVersion)},"personalized":${a.personalized},"reasons":[${reasons}]${note}}`;
}
