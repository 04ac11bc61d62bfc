/**
 * The forecast model card, saved as model-card.json beside model.json: what serving needs to rebuild the
 * features (the feature spec and names), the interval calibration, and what people need to trust a
 * version (data hash, split, accuracy beside the baselines of the same run, purposes).
 *
 * Validated with zod on load, so a card from another schema or a hand-edited file fails naming the field.
 */
import { z } from 'zod';

export const FORECAST_CARD_FILE = 'model-card.json';
export const FORECAST_CARD_SCHEMA_VERSION = 1;

/** NaN metrics (nothing to average) are written by JSON as null. */
const metric = z.number().nullable();
export const accuracySchema = z.object({
  wape: metric,
  mase: metric,
  coverage_80: metric,
  pinball: z.object({ p10: metric, p50: metric, p90: metric, mean: metric }),
});

export const featureSpecSchema = z.object({
  freq: z.enum(['day', 'week']),
  horizon: z.number().int().positive(),
  season: z.number().int().positive(),
  lags: z.number().int().positive(),
  windows: z.array(z.number().int().positive()),
  profileCycles: z.number().int().nonnegative(),
  year: z.number().int().positive(),
  scaleWindow: z.number().int().positive(),
  clip: z.number().positive(),
  yearly: z.boolean(),
  yearSmoothing: z.number().int().nonnegative(),
  yearSpan: z.number().int().positive(),
});

export const forecastCardSchema = z.object({
  schemaVersion: z.literal(FORECAST_CARD_SCHEMA_VERSION),
  task: z.literal('forecast'),
  version: z.string().min(1),
  createdAt: z.string(),
  /** Consent purposes of the data this model reads: aggregate demand only. */
  purposes: z.array(z.string()).min(1),
  features: z.array(z.string()).min(1),
  featureSpec: featureSpecSchema,
  architecture: z.object({
    kind: z.literal('quantile-mlp-ensemble'),
    inputs: z.number().int().positive(),
    horizon: z.number().int().positive(),
    hidden: z.array(z.number().int().positive()),
    members: z.number().int().positive(),
  }),
  calibration: z.object({ low: z.number().positive(), high: z.number().positive(), fittedOn: z.string() }),
  training: z.object({
    source: z.string(),
    dataHash: z.string(),
    series: z.number().int(),
    samples: z.number().int(),
    seed: z.number().int(),
    backend: z.string(),
    seconds: z.number(),
    hyperparameters: z.record(z.string(), z.unknown()),
  }),
  split: z.record(z.string(), z.unknown()),
  metrics: z.object({
    model: accuracySchema,
    baselines: z.record(z.string(), accuracySchema),
    backtest: z.unknown().optional(),
  }),
});

export type ForecastModelCard = z.infer<typeof forecastCardSchema>;

/** Parses a card, or throws naming the first bad field. */
export function parseForecastCard(value: unknown): ForecastModelCard {
  const parsed = forecastCardSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${FORECAST_CARD_FILE}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  const card = parsed.data;
  if (card.architecture.inputs !== card.features.length || card.architecture.horizon !== card.featureSpec.horizon) {
    throw new RangeError(`${FORECAST_CARD_FILE}: features, feature spec and architecture disagree`);
  }
  return card;
}
