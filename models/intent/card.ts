/**
 * The intent model card: everything needed to use, audit and reproduce a trained version, saved as
 * model-card.json beside model.json. Serving reads the features, normalization and calibration from it;
 * people read the data hash, split, metrics beside baselines, and purposes.
 *
 * Validated with zod on load: a card from another schema version or a hand-edited file fails with the path
 * of the bad field instead of producing wrong scores.
 */
import { z } from 'zod';
import { encodedExtra } from '../piecewise-linear.ts';
import { ACTIVATIONS } from './architecture.ts';

export const INTENT_CARD_FILE = 'model-card.json';
export const INTENT_CARD_SCHEMA_VERSION = 1;

const metricsSchema = z.object({ roc_auc: z.number(), pr_auc: z.number(), f1: z.number(), brier: z.number() });

export const intentCardSchema = z.object({
  schemaVersion: z.literal(INTENT_CARD_SCHEMA_VERSION),
  task: z.literal('intent'),
  version: z.string().min(1),
  createdAt: z.string(),
  /** Consent purposes a subject must have granted for this model to score them. */
  purposes: z.array(z.string()).min(1),
  features: z.array(z.string()).min(1),
  /** Bin columns appended to `features` before standardization (see piecewise-linear.ts). */
  encoding: z.object({
    kind: z.literal('piecewise-linear'),
    columns: z.array(z.object({ column: z.number().int().nonnegative(), edges: z.array(z.number()).min(1) })),
  }),
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()), computedOn: z.string() }),
  architecture: z.object({
    kind: z.literal('wide-and-deep-ensemble'),
    inputs: z.number().int().positive(),
    hidden: z.array(z.number().int().positive()),
    activation: z.enum(ACTIVATIONS as ['relu', 'elu', 'tanh', 'linear']),
    wide: z.boolean(),
    members: z.number().int().positive(),
  }),
  calibration: z.object({ method: z.literal('platt'), a: z.number(), b: z.number(), fittedOn: z.string() }),
  training: z.object({
    format: z.string(),
    dataFile: z.string(),
    dataHash: z.string(),
    rows: z.number().int(),
    positives: z.number().int(),
    seed: z.number().int(),
    backend: z.string(),
    seconds: z.number(),
    hyperparameters: z.record(z.string(), z.unknown()),
  }),
  split: z.record(z.string(), z.unknown()),
  /** Held-out metrics of this recipe (cross-validated or test split) beside the baselines of the same run. */
  metrics: z.object({ model: metricsSchema, baselines: z.record(z.string(), metricsSchema) }),
});

export type IntentModelCard = z.infer<typeof intentCardSchema>;

/** Parses a card, or throws naming the first bad field. */
export function parseIntentCard(value: unknown): IntentModelCard {
  const parsed = intentCardSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${INTENT_CARD_FILE}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  const card = parsed.data;
  const n = card.features.length + encodedExtra(card.encoding);
  if (card.architecture.inputs !== n || card.normalization.mean.length !== n || card.normalization.std.length !== n) {
    throw new RangeError(`${INTENT_CARD_FILE}: features, encoding, normalization and architecture disagree on the number of inputs`);
  }
  if (card.encoding.columns.some((c) => c.column >= card.features.length)) throw new RangeError(`${INTENT_CARD_FILE}: encoding names a column past the features`);
  return card;
}
