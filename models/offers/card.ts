/**
 * The offers model card, saved as model-card.json beside the tables: what serving needs (the ranking
 * parameters, the table shapes) and what people need to trust a version (data hash, split, metrics beside
 * the POP and SKNN baselines of the same run, purposes, hyperparameters and how they were chosen).
 */
import { z } from 'zod';
import { cardBaseShape, parseModelCard } from '../model-card.ts';

export const OFFERS_CARD_SCHEMA_VERSION = 1;

const metric = z.number();
export const rankingMetricsSchema = z.object({
  'hr@20': metric,
  'mrr@20': metric,
  'hr@10': metric,
  'mrr@10': metric,
  coverage: metric,
  predictions: z.number().int().nonnegative(),
});

const nonNegative = z.number().nonnegative();
export const rankingParamsSchema = z.object({
  weights: z.object({ cooc: nonNegative, similarity: nonNegative, session: nonNegative, history: nonNegative, popularity: nonNegative, bought: nonNegative.optional() }),
  sessionDecay: z.number().min(0).max(1),
  historyDecay: z.number().min(0).max(1),
  historyContext: nonNegative,
  sessionSeeds: z.number().int().nonnegative(),
  historySeeds: z.number().int().nonnegative(),
  popularCandidates: z.number().int().nonnegative(),
});

export const offersCardSchema = z.object({
  schemaVersion: z.literal(OFFERS_CARD_SCHEMA_VERSION),
  task: z.literal('offers'),
  ...cardBaseShape,
  ranking: rankingParamsSchema,
  tables: z.object({
    items: z.number().int().nonnegative(),
    dim: z.number().int().positive(),
    neighborCount: z.number().int().nonnegative(),
    coocEntries: z.number().int().nonnegative(),
    boughtEntries: z.number().int().nonnegative().optional(),
  }),
  training: z.object({
    dataFile: z.string(),
    dataHash: z.string(),
    events: z.number().int().nonnegative(),
    sessions: z.number().int().nonnegative(),
    seed: z.number().int(),
    backend: z.string(),
    seconds: z.number(),
    hyperparameters: z.record(z.string(), z.unknown()),
    /** How the ranking parameters were chosen (validation slice, objective, steps). */
    tuning: z.record(z.string(), z.unknown()),
  }),
  /** Held-out metrics (test period) of the model beside the baselines of the same run. */
  metrics: z.object({
    model: rankingMetricsSchema,
    baselines: z.object({ pop: rankingMetricsSchema, sknn: rankingMetricsSchema }),
    ablations: z.record(z.string(), rankingMetricsSchema).optional(),
  }),
});

export type OffersModelCard = z.infer<typeof offersCardSchema>;

export function parseOffersCard(value: unknown): OffersModelCard {
  return parseModelCard(offersCardSchema, value);
}
