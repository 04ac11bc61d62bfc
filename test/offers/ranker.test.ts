/**
 * The shared offers ranking on hand-made tables: each score component ranks what it should, with its
 * reason; the item being viewed and `exclude` are never offered; ties are stable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RANKING, OfferRanker, checkTables, type OfferTables, type RankingParams, type RankingWeights } from '../../models/offers/index.ts';
import { sparseRows } from '../../models/offers/tables.ts';
import { topK } from '../../models/offers/top-k.ts';

// Items 0…5. Vectors: 0 and 2 point the same way, 1 and 3 orthogonal to them, 4 and 5 in between.
const s = Math.SQRT1_2;
function tables(): OfferTables {
  return {
    items: ['a', 'b', 'c', 'd', 'e', 'f'],
    dim: 2,
    vectors: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1, s, s, s, s]),
    neighborCount: 1,
    neighbors: sparseRows([[[2, 1]], [[3, 1]], [[0, 1]], [[1, 1]], [[5, 1]], [[4, 1]]]),
    // 0 → 1 (strong), 0 → 3 (weak)
    cooc: sparseRows([[[1, 1], [3, 0.5]], [], [], [], [], []]),
    popularity: Float32Array.from([10, 5, 1, 1, 2, 50]),
  };
}

const only = (w: Partial<RankingWeights>): RankingParams => ({
  ...DEFAULT_RANKING,
  weights: { cooc: 0, similarity: 0, session: 0, history: 0, popularity: 0, ...w },
  historyContext: 0,
});

test('co-occurrence ranks what followed the viewed item, reason viewed_together', () => {
  const r = new OfferRanker(tables(), only({ cooc: 1 })).rank({ session: [0] }, 2);
  assert.deepEqual(r.items, [1, 3]);
  assert.deepEqual(r.reasons, ['viewed_together', 'viewed_together']);
  assert.deepEqual(r.scores, [1, 0.5]);
});

test('similarity ranks items whose vectors point like the session, reason similar_to_viewed', () => {
  const r = new OfferRanker(tables(), only({ similarity: 1 })).rank({ session: [0] }, 1);
  assert.deepEqual(r.items, [2]);
  assert.deepEqual(r.reasons, ['similar_to_viewed']);
  assert.ok(Math.abs(r.scores[0]! - 1) < 1e-6);
});

test('the session’s and the subject’s earlier items come back, newest first; popularity is the fallback', () => {
  const ranker = new OfferRanker(tables(), only({ session: 1, history: 0.5, popularity: 0.01 }));
  const r = ranker.rank({ session: [3, 2, 0], history: [4, 1] }, 6);
  // session 2 (age 1: 0.7) > history 1 (newest: 0.5 · 1) > session 3 (age 2: 0.49) > history 4 (0.5 · 0.9) > popular 5; 0 is viewed.
  assert.deepEqual(r.items, [2, 1, 3, 4, 5]);
  assert.deepEqual(r.reasons, ['viewed_before', 'viewed_before', 'viewed_before', 'viewed_before', 'popular']);
});

test('never the viewed item or an excluded one; an unknown session falls back to popular items', () => {
  const ranker = new OfferRanker(tables(), only({ cooc: 1, popularity: 0.1 }));
  assert.deepEqual(ranker.rank({ session: [0], exclude: new Set([1]) }, 2).items, [3, 5]);
  const cold = ranker.rank({ session: [-1] }, 3);
  assert.deepEqual(cold.items, [5, 0, 1]);
  assert.deepEqual(cold.reasons, ['popular', 'popular', 'popular']);
  // Scratch state is reset between calls: the same query twice gives the same answer.
  assert.deepEqual(ranker.rank({ session: [0] }, 4), ranker.rank({ session: [0] }, 4));
});

test('topK: higher score, then more popular, then lower index', () => {
  const scores = [1, 2, 2, 2, 0.5];
  const pop = [0, 1, 5, 5, 9];
  assert.deepEqual(topK([0, 1, 2, 3, 4], (i) => scores[i]!, 3, pop).items, [2, 3, 1]);
  assert.deepEqual(topK([4, 3, 2, 1, 0], (i) => scores[i]!, 5, pop).items, [2, 3, 1, 0, 4]);
  assert.deepEqual(topK([0, 1], (i) => scores[i]!, 0).items, []);
});

test('checkTables names what disagrees', () => {
  assert.doesNotThrow(() => checkTables(tables()));
  assert.throws(() => checkTables({ ...tables(), popularity: new Float32Array(5) }), /popularity/);
  assert.throws(() => checkTables({ ...tables(), vectors: new Float32Array(3) }), /vectors/);
  assert.throws(() => checkTables({ ...tables(), cooc: sparseRows([[[9, 1]], [], [], [], [], []]) }), /past the table/);
});
