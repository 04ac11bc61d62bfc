/**
 * HTTP contracts. Built from the engine's zod schemas; fastify validates with them and @fastify/swagger
 * turns them into the OpenAPI document, so docs and behaviour cannot drift apart.
 */
import { z } from 'zod';
import { BehaviorEventSchema, CatalogEntrySchema, ERRORS, PURPOSE_IDS, PURPOSES, TimestampSchema, type ErrorCode } from '../engine/index.ts';

export const ProblemSchema = z.object({
  path: z.string().describe('dotted path of the field: where it was sent and its name, e.g. body.k, querystring.limit, params.subject; in a per-event result of POST /v1/events, the field within that event, e.g. ts'),
  reason: z.string().describe('machine-readable reason, e.g. invalid_type, future_timestamp'),
  message: z.string(),
});

const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];
const errorCodeSchema = (codes: readonly [ErrorCode, ...ErrorCode[]]) => z.enum(codes).describe('stable error code, see docs/errors.md');

export const ErrorResponseSchema = z
  .object({
    code: errorCodeSchema(ERROR_CODES),
    message: z.string().describe('what went wrong; never quotes the request'),
    problems: z.array(ProblemSchema).optional().describe('one entry per offending field'),
    requestId: z.string().describe('also in the x-request-id header; the log line of the request carries it'),
  })
  .describe('Every 4xx/5xx answer has this shape.');

/**
 * The error answers the given codes make, one schema per HTTP status, `code` narrowed to that status's
 * codes and the description naming them (what a route's OpenAPI entry lists; see serving/openapi.ts).
 */
export function errorResponses(codes: Iterable<ErrorCode>): Record<string, z.ZodType> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, [first, ...rest]]) => [
      String(status),
      ErrorResponseSchema.extend({ code: errorCodeSchema([first!, ...rest]) }).describe([first!, ...rest].map((c) => `\`${c}\`: ${ERRORS[c].message}`).join('; ')),
    ]),
  );
}

export const IngestRequestSchema = z
  .strictObject({ events: z.array(BehaviorEventSchema).min(1) })
  .describe('A batch of behavior events. Each event is validated on its own: a bad event is rejected, its valid neighbours are kept.')
  // zod leaves `examples` out of the input JSON Schema of a schema that transforms (the events' numeric
  // ids become strings), so the example goes as @fastify/swagger's named `x-examples`.
  .meta({
    'x-examples': {
      'a view and a cart add': {
        value: {
          events: [
            { id: 'evt-1001', ts: '2026-11-29T10:00:00Z', subject: 'u000042', session: 's-9f1c', type: 'view', item: 'sku-1', category: 'shoes', context: { channel: 'web', device: 'mobile' } },
            { id: 'evt-1002', ts: '2026-11-29T10:01:30Z', subject: 'u000042', session: 's-9f1c', type: 'cart_add', item: 'sku-1', price: 59.9, quantity: 1 },
          ],
        },
      },
    },
  });

export const EventResultSchema = z.object({
  index: z.number().int().describe('position in the request batch'),
  status: z.enum(['accepted', 'duplicate', 'rejected', 'failed']),
  seq: z.number().int().optional().describe('stream sequence of the stored event'),
  problems: z.array(ProblemSchema).optional(),
  dropped: z.array(z.string()).optional().describe('fields removed at the privacy boundary'),
  redacted: z.array(z.string()).optional().describe('fields whose values looked like e-mail addresses or phone numbers'),
});

export const IngestResponseSchema = z.object({
  accepted: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int().describe('valid events the event store did not acknowledge: retry them (ids dedupe)'),
  results: z.array(EventResultSchema),
  lastSeq: z.number().int().describe('highest stream sequence this batch wrote (0 when none)'),
});

export const HealthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
export const ReadySchema = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.boolean()),
  partitions: z
    .object({ total: z.number().int(), owned: z.array(z.number().int()), worker: z.string() })
    .optional()
    .describe('partitioned deployment: the stream partitions this worker leases'),
});

const purposeFlags = Object.fromEntries(PURPOSE_IDS.map((p) => [p, z.boolean().optional().describe(PURPOSES[p].description)])) as {
  [P in (typeof PURPOSE_IDS)[number]]: z.ZodOptional<z.ZodBoolean>;
};

export const SubjectParamsSchema = z.object({
  subject: z.string().min(1).max(256).describe('the raw subject id as the shop knows it; pseudonymized on arrival, never stored'),
});

export const ConsentPutSchema = z.strictObject({
  purposes: z
    .strictObject(purposeFlags)
    .refine((p) => Object.keys(p).length > 0, { message: 'name at least one purpose' })
    .describe('true grants, false withdraws; purposes not named are unchanged'),
  source: z.string().min(1).max(64).describe('where the choice was made: cmp, app, support …'),
  notice: z.string().min(1).max(64).optional().describe('version of the privacy notice shown'),
  at: TimestampSchema.optional().describe('when the choice was made; default now; at most IOB_MAX_FUTURE_SKEW_MS (5 minutes) ahead, else 400 `future_timestamp`'),
}).meta({ examples: [{ purposes: { personalization: true, analytics: true }, source: 'cmp', notice: '2026-03' }] });

export const ConsentViewSchema = z.object({
  purposes: z.object(Object.fromEntries(PURPOSE_IDS.map((p) => [p, z.boolean()])) as Record<(typeof PURPOSE_IDS)[number], z.ZodBoolean>),
  changes: z.array(
    z.object({ at: z.number(), purpose: z.enum(PURPOSE_IDS), granted: z.boolean(), source: z.string(), notice: z.string().optional() }),
  ),
});

/**
 * A whole number given in the query string. zod's own message for a value that is no number reads
 * "expected number, received NaN", which a caller who sent `limit=abc` (or `limit` twice) cannot act on.
 */
const queryInt = () => z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? 'expected a whole number' : undefined) }).int();

export const AuditQuerySchema = z.object({
  from: queryInt().min(1).default(1).describe('first sequence to return'),
  limit: queryInt().min(1).max(1000).default(100),
});

export const AuditPageSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      sid: z.string().optional().describe('pseudonymous subject id'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  next: z.number().optional().describe('pass as `from` for the next page'),
});

export const ErasureReceiptSchema = z.object({
  requestId: z.string(),
  held: z.boolean().describe('whether anything was held about the subject'),
  purged: z.record(z.string(), z.number()).describe('entries removed, per store'),
  consentTombstoned: z.boolean(),
  addedToErasureList: z.boolean(),
  completedAt: z.string(),
  durationMs: z.number(),
});

// ---------------------------------------------------------------------------------------------------------
// Demand forecasts (aggregate only: purpose `forecasting`)

const ForecastKindSchema = z.enum(['item', 'category']);
const AccuracySchema = z.object({
  wape: z.number().nullable().describe('sum |error| ÷ sum |actual|'),
  mase: z.number().nullable().describe('mean absolute error ÷ in-sample seasonal-naive error (null when undefined)'),
  coverage_80: z.number().nullable().describe('share of actuals inside p10–p90 (target 0.8)'),
});
const AccuracyByMethodSchema = z.record(z.string(), AccuracySchema).describe('`model` beside the baselines `snaive`, `ets`, `mean`');

const CsvFormatSchema = z.enum(['json', 'csv']).optional().describe('alternative to `Accept: text/csv`');

export const ForecastQuerySchema = z
  .object({
    item: z.string().min(1).max(256).optional().describe('item id'),
    category: z.string().min(1).max(256).optional().describe('category name'),
    horizon: queryInt().min(1).max(52).optional().describe("periods ahead (default and maximum: the model's horizon, 28 days)"),
    format: CsvFormatSchema,
  })
  .refine((q) => (q.item === undefined) !== (q.category === undefined), { message: 'give exactly one of item or category', path: ['item'] });

export const ForecastModelSchema = z.object({
  version: z.string(),
  holdout: AccuracyByMethodSchema.describe("the model card's holdout accuracy (trained before the window, scored on it)"),
  holdoutWindow: z.object({ from: z.string(), to: z.string() }).optional(),
});

export const ForecastResponseSchema = z.object({
  kind: ForecastKindSchema,
  id: z.string(),
  freq: z.enum(['day', 'week']),
  generatedAt: z.string(),
  model: ForecastModelSchema,
  history: z.array(z.object({ date: z.string(), units: z.number() })).describe('net units per period (returns netted), most recent year'),
  forecast: z.array(z.object({ date: z.string(), p10: z.number(), p50: z.number(), p90: z.number() })),
  summary: z.object({ volume: z.number(), recent: z.number(), expected: z.number(), change: z.number() }).describe('units over the history window, the last horizon, and expected over the next horizon'),
  backtest: z
    .object({ from: z.string(), to: z.string(), accuracy: AccuracyByMethodSchema })
    .optional()
    .describe("this series' last-window backtest (the serving model may have seen those periods in training; the honest figure is `model.holdout`)"),
});

export const ForecastListQuerySchema = z.object({
  kind: ForecastKindSchema.optional(),
  q: z.string().max(256).optional().describe('case-insensitive substring of the id'),
  sort: z.enum(['volume', 'change', 'id']).default('volume'),
  limit: queryInt().min(1).max(100_000).default(1000),
  format: CsvFormatSchema,
});

const ForecastSummaryRowSchema = z.object({
  kind: ForecastKindSchema,
  id: z.string(),
  volume: z.number(),
  recent: z.number(),
  expected: z.number(),
  change: z.number().describe('expected − recent, units'),
  changeRatio: z.number().nullable().describe('change ÷ recent (null when recent is 0)'),
});

export const ForecastListResponseSchema = z.object({
  generatedAt: z.string(),
  freq: z.enum(['day', 'week']),
  horizon: z.number().int(),
  source: z.string(),
  model: ForecastModelSchema,
  backtest: z.object({ from: z.string(), to: z.string(), accuracy: AccuracyByMethodSchema }).optional(),
  total: z.number().int().describe('series matching before the limit'),
  series: z.array(ForecastSummaryRowSchema),
});

export const ForecastTopQuerySchema = z.object({
  kind: ForecastKindSchema.optional(),
  direction: z.enum(['up', 'down', 'both']).default('both').describe('rising, falling, or the largest changes either way'),
  by: z.enum(['units', 'ratio']).default('units').describe('rank by change in units, or relative to the recent volume'),
  horizon: queryInt().min(1).max(52).optional(),
  limit: queryInt().min(1).max(1000).default(20),
  format: CsvFormatSchema,
});

export const ForecastTopResponseSchema = z.object({ generatedAt: z.string(), horizon: z.number().int(), movers: z.array(ForecastSummaryRowSchema) });

export const IntentRequestSchema = z.strictObject({
  subject: z.string().min(1).max(256).describe('the raw subject id as the shop knows it; pseudonymized on arrival, never stored'),
  session: z.string().min(1).max(256).optional().describe('raw session id; default: the session derived from events without one'),
  reasons: z
    .boolean()
    .optional()
    .describe('false: answer the score alone (`reasons` is empty), skipping the attribution (a backward pass through the model: about a third of the scoring work); default true'),
}).meta({ examples: [{ subject: 'u000042', session: 's-9f1c' }, { subject: 'u000042', reasons: false }] });

export const IntentResponseSchema = z.object({
  score: z.number().min(0).max(1).describe('calibrated probability of a purchase in this session'),
  modelVersion: z.string().describe('the registry version that answered'),
  personalized: z.boolean().describe("true when the subject's own features were used (personalization consent, features held)"),
  reasons: z
    .array(
      z.object({
        feature: z.string().describe('online-store feature name, e.g. session.cart_adds'),
        direction: z.enum(['up', 'down']).describe('whether it raised or lowered the score'),
        contribution: z.number().describe('its share of the logit versus the average training visitor'),
      }),
    )
    .describe('the features that moved the score most, largest first; empty when not personalized or when the request set `reasons: false`'),
  note: z
    .enum(['no_consent', 'unknown_subject'])
    .optional()
    .describe('why the answer is not personalized: no personalization consent (or Sec-GPC: 1), or nothing known about the subject; the score is then the training base rate'),
}).meta({
  examples: [
    {
      score: 0.31,
      modelVersion: '20261129T020000Z-4f2a91',
      personalized: true,
      reasons: [
        { feature: 'session.cart_adds', direction: 'up', contribution: 0.42 },
        { feature: 'subject.purchase_count_30d', direction: 'up', contribution: 0.18 },
        { feature: 'session.duration_s', direction: 'down', contribution: -0.07 },
      ],
    },
  ],
});

const LoadFailureSchema = z.object({ version: z.string(), message: z.string(), at: z.string() });

const ServingStatusSchema = z.object({
  task: z.string(),
  serving: z.string().nullable().describe('the version answering requests'),
  loadedAt: z.string().nullable(),
  pointer: z.string().nullable().describe('the version SERVING.json names; differs from `serving` when it failed to load'),
  failure: LoadFailureSchema.nullable().describe('the last version that failed to load, while no later one has loaded'),
});

export const ModelsStatusSchema = z.object({
  intent: ServingStatusSchema,
  offers: ServingStatusSchema.optional(),
});

export const OffersRequestSchema = z.strictObject({
  subject: z.string().min(1).max(256).describe('the raw subject id as the shop knows it; pseudonymized on arrival, never stored'),
  session: z.string().min(1).max(256).optional().describe("raw session id; default: the session of the subject's most recent item"),
  k: z.number().int().min(1).max(100).optional().describe('how many offers (1–100, default 10)'),
  exclude: z.array(z.string().min(1).max(128)).max(1000).optional().describe('item ids never to offer (e.g. the cart)'),
  context: z
    .object({
      explore: z.literal('epsilon').optional().describe('ε-greedy exploration: each slot is the best remaining offer with probability 1 − ε, else a uniform draw from the candidate pool'),
      epsilon: z.number().min(0).max(1).optional().describe('ε (default 0.1)'),
    })
    .strict()
    .optional(),
}).meta({ examples: [{ subject: 'u000042', k: 5, exclude: ['sku-1'] }] });

export const OffersResponseSchema = z.object({
  offers: z.array(
    z.object({
      item: z.string(),
      score: z.number().describe('ranking score (higher is better; not a probability)'),
      reason: z.enum(['similar_to_viewed', 'bought_together', 'trending_in_category', 'popular']).describe('what contributed most to the offer'),
      propensity: z.number().min(0).max(1).optional().describe('with exploration: the probability this item had of being shown in this slot, for off-policy evaluation'),
    }),
  ),
  personalized: z.boolean().describe("true when the subject's recent items or session categories were used (personalization consent)"),
  modelVersion: z.string().describe('the registry offers version that ranked'),
  note: z
    .enum(['no_consent', 'unknown_subject', 'unknown_items'])
    .optional()
    .describe('why the answer is the popular fallback: no personalization consent (or Sec-GPC: 1), nothing held about the subject, or none of its items known to the model'),
}).meta({
  examples: [
    {
      offers: [
        { item: 'sku-7', score: 2.84, reason: 'bought_together' },
        { item: 'sku-3', score: 2.11, reason: 'similar_to_viewed' },
        { item: 'sku-12', score: 1.06, reason: 'trending_in_category' },
      ],
      personalized: true,
      modelVersion: '20261129T021500Z-9c03be',
    },
  ],
});

export const CatalogPutSchema = z.object({
  items: z.array(CatalogEntrySchema).min(1).max(10_000).describe('catalog entries, validated like `iob catalog load` (problems name `body.items.<row>.<field>`)'),
  mode: z.enum(['upsert', 'replace']).default('upsert').describe('upsert: add or update these entries; replace: the catalog becomes exactly these entries'),
}).meta({
  examples: [
    {
      items: [
        { id: 'sku-1', category: 'shoes', price: 59.9, margin: 0.3, in_stock: true },
        { id: 'sku-2', category: 'shoes', price: 89, in_stock: false, eligible_until: '2026-12-31T23:59:59Z', tags: ['winter'] },
      ],
      mode: 'upsert',
    },
  ],
});

export const CatalogPutResponseSchema = z.object({
  mode: z.enum(['upsert', 'replace']),
  items: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
});
