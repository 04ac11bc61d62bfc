/**
 * Builds the offers model's tables (models/offers/tables.ts) from training sessions: the vocabulary,
 * popularity, session co-occurrence, bought-together rows and the precomputed embedding neighbours.
 */
import type * as TF from '@tensorflow/tfjs';
import { sparseRows, type SparseRows } from '../../models/offers/tables.ts';
import { topK } from '../../models/offers/top-k.ts';
import type { ItemSession } from './sessions.ts';

export interface Vocabulary {
  /** Table index → log item index. */
  logIndex: Int32Array;
  /** Log item index → table index, −1 when the item is not in training. */
  tableIndex: Int32Array;
  /** Training steps per table item. */
  counts: Float32Array;
}

/** The training items, most frequent first (ties: first seen), so table order is stable and meaningful. */
export function buildVocabulary(train: readonly ItemSession[], logItemCount: number): Vocabulary {
  const counts = new Float64Array(logItemCount);
  const firstSeen = new Float64Array(logItemCount).fill(Infinity);
  let step = 0;
  for (const s of train) {
    for (const item of s.items) {
      counts[item]!++;
      if (firstSeen[item] === Infinity) firstSeen[item] = step++;
    }
  }
  const seen: number[] = [];
  for (let i = 0; i < logItemCount; i++) if (counts[i]! > 0) seen.push(i);
  seen.sort((a, b) => counts[b]! - counts[a]! || firstSeen[a]! - firstSeen[b]!);
  const tableIndex = new Int32Array(logItemCount).fill(-1);
  seen.forEach((item, t) => (tableIndex[item] = t));
  return { logIndex: Int32Array.from(seen), tableIndex, counts: Float32Array.from(seen, (i) => counts[i]!) };
}

/** Training sessions as table-index sequences (every item is in the vocabulary by construction). */
export function tableSequences(train: readonly ItemSession[], vocabulary: Vocabulary): Int32Array[] {
  return train.map((s) => Int32Array.from(s.items, (i) => vocabulary.tableIndex[i]!));
}

export interface CoocOptions {
  /** Steps apart within which two items co-occur; weight 1/distance. */
  window: number;
  /** Weight of "b came before a" relative to "b came after a" for row a. */
  backward: number;
  /** Row weights are divided by (count_a · count_b)^normalization: 0 = raw, 0.5 = cosine-like. */
  normalization: number;
  /** Strongest entries kept per row. */
  perItem: number;
}

export const DEFAULT_COOC: CoocOptions = { window: 5, backward: 0.5, normalization: 0.5, perItem: 100 };

export function buildCooccurrence(sequences: readonly Int32Array[], counts: Float32Array, options: CoocOptions = DEFAULT_COOC): SparseRows {
  const n = counts.length;
  const rows: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i]!;
      for (let j = i + 1; j < seq.length && j - i <= options.window; j++) {
        const b = seq[j]!;
        if (a === b) continue;
        const w = 1 / (j - i);
        rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + w);
        rows[b]!.set(a, (rows[b]!.get(a) ?? 0) + options.backward * w);
      }
    }
  }
  return sparseRows(
    rows.map((row, a) => {
      const columns = [...row.keys()];
      const weightOf = (b: number): number => row.get(b)! / (counts[a]! * counts[b]!) ** options.normalization;
      const best = topK(columns, weightOf, options.perItem, counts);
      return best.items.map((b, k) => [b, best.scores[k]!] as const);
    }),
  );
}

export interface BoughtOptions {
  /** Two purchases or carts of one subject at most this far apart are bought together. */
  windowMs: number;
  /** Subjects who must have bought (or carted) a pair together for it to count. */
  minSupport: number;
  /** Row weights are divided by (buyers_a · buyers_b)^normalization, as co-occurrence is. */
  normalization: number;
  /** Strongest entries kept per row. */
  perItem: number;
}

export const DEFAULT_BOUGHT: BoughtOptions = { windowMs: 24 * 60 * 60_000, minSupport: 1, normalization: 0.5, perItem: 50 };

/** Steps that say "bought": a purchase, or a cart (the purchase log alone is too sparse to learn pairs from). */
const BOUGHT_TYPES: ReadonlySet<string> = new Set(['purchase', 'cart_add']);

/**
 * Bought together: per subject, its purchases and carts in time order; two different items within
 * `windowMs` of each other are a pair, counted once per subject (a subject who carts the same two items
 * every day is one vote). An item no pair reaches `minSupport` for has an empty row: its candidates come
 * from co-view (the co-occurrence rows) alone, which is the fallback when purchases are too sparse.
 */
export function buildBoughtTogether(train: readonly ItemSession[], vocabulary: Vocabulary, options: BoughtOptions = DEFAULT_BOUGHT): SparseRows {
  const n = vocabulary.counts.length;
  const baskets = new Map<string, Array<readonly [number, number]>>();
  for (const s of train) {
    for (let i = 0; i < s.items.length; i++) {
      if (!BOUGHT_TYPES.has(s.types[i]!)) continue;
      let basket = baskets.get(s.subject);
      if (!basket) baskets.set(s.subject, (basket = []));
      basket.push([vocabulary.tableIndex[s.items[i]!]!, s.times[i]!]);
    }
  }
  const rows: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  const buyers = new Float64Array(n);
  for (const basket of baskets.values()) {
    basket.sort((a, b) => a[1] - b[1]);
    for (const item of new Set(basket.map(([item]) => item))) buyers[item]!++;
    const pairs = new Set<number>();
    for (let i = 0; i < basket.length; i++) {
      const [a, ta] = basket[i]!;
      for (let j = i + 1; j < basket.length && basket[j]![1] - ta <= options.windowMs; j++) {
        const b = basket[j]![0];
        if (a === b) continue;
        const key = Math.min(a, b) * n + Math.max(a, b);
        if (pairs.has(key)) continue;
        pairs.add(key);
        rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + 1);
        rows[b]!.set(a, (rows[b]!.get(a) ?? 0) + 1);
      }
    }
  }
  return sparseRows(
    rows.map((row, a) => {
      const columns = [...row.keys()].filter((b) => row.get(b)! >= options.minSupport);
      const weightOf = (b: number): number => row.get(b)! / (buyers[a]! * buyers[b]!) ** options.normalization;
      const best = topK(columns, weightOf, options.perItem, vocabulary.counts);
      return best.items.map((b, k) => [b, best.scores[k]!] as const);
    }),
  );
}

/**
 * Each eligible item's `k` nearest eligible items by cosine (vectors are L2-normalized), in blocks of rows
 * through TF.js (matMul + topk): O(m² · dim) work that plain loops took minutes over at 33k items. Rows
 * of items that are not eligible (too rare for their vector to mean much) stay empty.
 */
export function nearestNeighbors(tf: typeof TF, vectors: Float32Array, dim: number, k: number, eligible: Int32Array): SparseRows {
  const n = vectors.length / dim;
  const m = eligible.length;
  const take = Math.min(k, m - 1);
  const out: Array<Array<readonly [number, number]>> = Array.from({ length: n }, () => []);
  if (take <= 0) return sparseRows(out);
  const rows = new Float32Array(m * dim);
  eligible.forEach((item, r) => rows.set(vectors.subarray(item * dim, (item + 1) * dim), r * dim));
  const all = tf.tensor2d(rows, [m, dim]);
  const transposed = tf.transpose(all);
  // Rows per block: a block's similarity matrix stays under 16M floats (64 MB) however large the vocabulary.
  const BLOCK = Math.max(16, Math.min(512, Math.floor((1 << 24) / m)));
  try {
    for (let start = 0; start < m; start += BLOCK) {
      const count = Math.min(BLOCK, m - start);
      // One extra: the item itself is its own nearest neighbour and is dropped below.
      const best = tf.tidy(() => tf.topk(tf.matMul(all.slice([start, 0], [count, dim]), transposed), take + 1));
      const values = best.values.dataSync() as Float32Array;
      const indices = best.indices.dataSync() as Int32Array;
      tf.dispose([best.values, best.indices]);
      for (let r = 0; r < count; r++) {
        const self = eligible[start + r]!;
        const row = out[self]!;
        for (let p = 0; p <= take && row.length < take; p++) {
          const j = eligible[indices[r * (take + 1) + p]!]!;
          if (j !== self) row.push([j, values[r * (take + 1) + p]!]);
        }
      }
    }
  } finally {
    all.dispose();
    transposed.dispose();
  }
  return sparseRows(out);
}
