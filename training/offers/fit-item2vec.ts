/**
 * Trains item2vec (models/offers/item2vec.ts) on table-index sessions: every (center, context) pair within
 * `window` steps, shuffled per epoch with a seeded PRNG, negatives drawn from the seeded unigram^0.75
 * distribution, Adagrad. Deterministic for a seed and backend.
 */
import type * as TF from '@tensorflow/tfjs';
import { CumulativeSampler, cumulativeWeights, Rng } from '../../datasets/random.ts';
import { initItem2Vec, item2vecStep, normalizedVectors } from '../../models/offers/item2vec.ts';
import { shuffleInPlace } from '../splits.ts';

export interface Item2VecOptions {
  dim: number;
  window: number;
  negatives: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * word2vec's subsampling threshold t (item2vec uses it too): each epoch, an occurrence of an item with
   * frequency f (its share of all steps) is kept with probability (√(f/t) + 1)·t/f, so the most popular
   * items stop dominating the pairs. 0 or absent: every occurrence is kept.
   */
  subsample?: number;
}

export const DEFAULT_ITEM2VEC: Item2VecOptions = { dim: 32, window: 3, negatives: 5, epochs: 5, batchSize: 1024, learningRate: 0.1 };

export interface FittedItem2Vec {
  /** L2-normalized input vectors; items that never had a pair are zero (no evidence, no similarity). */
  vectors: Float32Array;
  /** Mean loss per epoch. */
  losses: number[];
  pairs: number;
}

/** All (center, context) pairs within the window, both directions. */
export function skipGramPairs(sequences: readonly Int32Array[], window: number): { centers: Int32Array; contexts: Int32Array } {
  let n = 0;
  for (const seq of sequences) for (let i = 0; i < seq.length; i++) n += Math.min(seq.length - 1, i + window) - Math.max(0, i - window);
  const centers = new Int32Array(n);
  const contexts = new Int32Array(n);
  let p = 0;
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      for (let j = Math.max(0, i - window); j <= Math.min(seq.length - 1, i + window); j++) {
        if (j === i) continue;
        centers[p] = seq[i]!;
        contexts[p++] = seq[j]!;
      }
    }
  }
  return { centers, contexts };
}

export async function fitItem2Vec(
  tf: typeof TF,
  sequences: readonly Int32Array[],
  counts: Float32Array,
  options: Item2VecOptions,
  seed: number,
  onEpoch?: (epoch: number, loss: number) => void,
): Promise<FittedItem2Vec> {
  const items = counts.length;
  const all = skipGramPairs(sequences, options.window);
  const tables = initItem2Vec(tf, items, options.dim, seed, options.batchSize * Math.max(1, options.negatives));
  const noise = new CumulativeSampler(cumulativeWeights(Float64Array.from(counts, (c) => c ** 0.75)));
  const keep = keepProbabilities(counts, options.subsample ?? 0);
  const losses: number[] = [];
  // Without subsampling every epoch reshuffles the previous epoch's order (as this always did); with it,
  // each epoch has pairs of its own and a fresh order.
  let order = Uint32Array.from({ length: all.centers.length }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs && all.centers.length > 0; epoch++) {
    const rng = new Rng(seed, 1, epoch);
    const { centers, contexts } = keep === undefined ? all : skipGramPairs(subsampled(sequences, keep, new Rng(seed, 2, epoch)), options.window);
    const pairs = centers.length;
    if (keep !== undefined) order = Uint32Array.from({ length: pairs }, (_, i) => i);
    shuffleInPlace(order, rng);
    let total = 0;
    for (let start = 0; start < pairs; start += options.batchSize) {
      const size = Math.min(options.batchSize, pairs - start);
      const batch = { centers: new Int32Array(size), contexts: new Int32Array(size), negatives: new Int32Array(size * options.negatives) };
      for (let b = 0; b < size; b++) {
        batch.centers[b] = centers[order[start + b]!]!;
        batch.contexts[b] = contexts[order[start + b]!]!;
      }
      for (let q = 0; q < batch.negatives.length; q++) batch.negatives[q] = noise.draw(rng);
      total += item2vecStep(tf, tables, batch, options.learningRate) * size;
    }
    // (an epoch whose subsample kept no pair trains nothing and reports a loss of 0)
    const loss = pairs > 0 ? total / pairs : 0;
    losses.push(loss);
    onEpoch?.(epoch + 1, loss);
    // Let the event loop breathe between epochs (progress bars, signals).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const vectors = normalizedVectors(tables.input, options.dim);
  const paired = new Uint8Array(items);
  for (const i of all.centers) paired[i] = 1;
  for (let i = 0; i < items; i++) if (!paired[i]) vectors.fill(0, i * options.dim, (i + 1) * options.dim);
  return { vectors, losses, pairs: all.centers.length };
}

/** Per item, the chance an occurrence is kept under subsampling threshold `t`; undefined when nothing is dropped. */
function keepProbabilities(counts: Float32Array, t: number): Float64Array | undefined {
  if (!(t > 0)) return undefined;
  let total = 0;
  for (const c of counts) total += c;
  const keep = Float64Array.from(counts, (c) => {
    const f = c / total;
    return f > t ? (Math.sqrt(f / t) + 1) * (t / f) : 1;
  });
  return keep.some((p) => p < 1) ? keep : undefined;
}

/** The sequences with each occurrence kept with its item's probability (seeded). */
function subsampled(sequences: readonly Int32Array[], keep: Float64Array, rng: Rng): Int32Array[] {
  return sequences.map((seq) => seq.filter((item) => keep[item]! >= 1 || rng.float() < keep[item]!));
}
