/**
 * An intent model whose card names online-store features (`subject.view_count_24h`, `session.event_count`
 * …), registered into a model registry: what serving scores with. Weights are the builder's seeded
 * initialization (no fitting: a second or less), so tests and the benchmark get a real TF.js model, saved in
 * the registry's format, without a training run. Different seeds give different scores.
 */
import * as tf from '@tensorflow/tfjs';
import { INTENT_CARD_SCHEMA_VERSION, type IntentModelCard } from '../../models/intent/card.ts';
import { buildIntentNetwork } from '../../models/intent/build.ts';
import { saveIntentModel } from '../../models/intent/tf-model.ts';
import type { Activation } from '../../models/intent/architecture.ts';
import { encodedExtra, type PiecewiseLinearEncoding } from '../../models/piecewise-linear.ts';
import { promote, registerVersion } from '../../models/registry.ts';
import { tfBackend } from '../../models/tf-backend.ts';

/**
 * Store features the fixture reads, with a plausible (mean, std) for each. No age features: their values move
 * with the clock, and the parity test compares two reads of the same subject.
 */
export const STORE_FEATURE_STATS: ReadonlyArray<[name: string, mean: number, std: number]> = [
  ['subject.view_count_24h', 4, 6],
  ['subject.view_count_7d', 12, 15],
  ['subject.cart_add_count_7d', 1, 2],
  ['subject.purchase_count_30d', 0.3, 0.8],
  ['subject.spend_30d', 20, 60],
  ['subject.distinct_items_7d', 6, 8],
  ['subject.sessions_30d', 3, 4],
  ['session.event_count', 5, 7],
  ['session.duration_s', 300, 600],
  ['session.distinct_items', 3, 4],
  ['session.cart_adds', 0.4, 1],
  ['session.cart_value', 10, 40],
  ['session.views_per_minute', 1, 2],
];

export interface StoreIntentModelOptions {
  seed?: number;
  hidden?: number[];
  members?: number;
  activation?: Activation;
  /** Bins of a piecewise-linear encoding on the first `binned` features (0: none). */
  bins?: number;
  binned?: number;
  /** Card features; default every name of STORE_FEATURE_STATS. */
  features?: string[];
  /** Training base rate written to the card (positives / rows). */
  baseRate?: number;
}

export interface StoreIntentModel {
  card: IntentModelCard;
  network: tf.LayersModel;
}

/** Builds the network and its card (in memory). */
export async function storeIntentModel(version: string, options: StoreIntentModelOptions = {}): Promise<StoreIntentModel> {
  const { seed = 1, hidden = [8], members = 2, activation = 'relu', bins = 0, binned = 0, baseRate = 0.1 } = options;
  const features = options.features ?? STORE_FEATURE_STATS.map(([name]) => name);
  const stats = features.map((name): readonly [string, number, number] => STORE_FEATURE_STATS.find(([n]) => n === name) ?? [name, 0, 1]);
  const encoding: PiecewiseLinearEncoding = {
    kind: 'piecewise-linear',
    columns: bins > 0 ? stats.slice(0, binned).map(([, mean, std], column) => ({ column, edges: Array.from({ length: bins + 1 }, (_, b) => Math.max(0, mean - std) + (b * 2 * std) / bins) })) : [],
  };
  const inputs = features.length + encodedExtra(encoding);
  const mean = [...stats.map(([, m]) => m), ...Array.from({ length: inputs - features.length }, () => 0.3)];
  const std = [...stats.map(([, , s]) => s), ...Array.from({ length: inputs - features.length }, () => 0.4)];
  const architecture = { kind: 'wide-and-deep-ensemble' as const, inputs, hidden, activation, wide: true, members };
  await tfBackend();
  const { ensemble: network } = buildIntentNetwork(tf, architecture, seed);
  const rows = 10_000;
  const card: IntentModelCard = {
    schemaVersion: INTENT_CARD_SCHEMA_VERSION,
    task: 'intent',
    version,
    createdAt: new Date(Date.UTC(2026, 10, 1) + seed * 60_000).toISOString(),
    purposes: ['personalization'],
    features,
    encoding,
    normalization: { mean, std, computedOn: 'fixture statistics' },
    architecture,
    calibration: { method: 'platt', a: 1.5, b: Math.log(baseRate / (1 - baseRate)), fittedOn: 'fixture' },
    training: {
      format: 'fixture',
      dataFile: 'none',
      dataHash: 'sha256:0',
      rows,
      positives: Math.round(rows * baseRate),
      seed,
      backend: 'fixture',
      seconds: 0,
      hyperparameters: {},
    },
    split: { kind: 'fixture' },
    metrics: { model: { roc_auc: 0.8, pr_auc: 0.4, f1: 0.4, brier: 0.08 }, baselines: { prior: { roc_auc: 0.5, pr_auc: baseRate, f1: 0.18, brier: 0.09 } } },
  };
  return { card, network };
}

/** Registers a fixture version into `root` (task intent), optionally promoting it; returns its folder. */
export async function registerStoreIntentModel(root: string, version: string, options: StoreIntentModelOptions & { promote?: boolean } = {}): Promise<string> {
  const { card, network } = await storeIntentModel(version, options);
  try {
    const dir = await registerVersion(root, 'intent', version, (d) => saveIntentModel(d, network, card));
    if (options.promote) await promote(root, 'intent', version);
    return dir;
  } finally {
    network.dispose();
  }
}
