/**
 * The shared offers ranking on hand-made tables: each score component ranks what it should, with its
 * reason; the item being viewed and `exclude` are never offered; ties are stable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RANKING, OfferRanker, checkTables, type OfferTables, type RankingContext, type RankingParams, type RankingWeights } from '../../models/offers/index.ts';
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

test('bought-together rows rank complements, reason bought_together; intent lift scales them and business value', () => {
  // 0 → 4 bought together; co-view 0 → 1 stays the stronger signal for an average visitor.
  const t = { ...tables(), bought: sparseRows([[[4, 0.6]], [], [], [], [], []]) };
  const params = only({ cooc: 1, bought: 1 });
  const ranker = new OfferRanker(t, params);
  const average = ranker.rank({ session: [0] }, 3);
  assert.deepEqual(average.items, [1, 4, 3]);
  assert.deepEqual(average.reasons, ['viewed_together', 'bought_together', 'viewed_together']);
  // Twice the average purchase intent: the complement outranks co-view.
  const ready = ranker.rank({ session: [0], intentLift: 2 }, 3);
  assert.deepEqual(ready.items, [4, 1, 3]);
  assert.ok(Math.abs(ready.scores[0]! - 1.2) < 1e-6);
  // Value counts in proportion too, and never names the reason.
  const value = Float32Array.from([0, 0, 0, 1, 0, 0]);
  assert.deepEqual(ranker.rank({ session: [0], value, valueWeight: 0.3 }, 2).items, [1, 3]);
  assert.deepEqual(ranker.rank({ session: [0], value, valueWeight: 0.3, intentLift: 0 }, 2).items, [1, 3]);
  const lifted = ranker.rank({ session: [0], value, valueWeight: 0.3, intentLift: 3 }, 2);
  assert.deepEqual(lifted.items, [4, 3]);
  assert.equal(lifted.reasons[1], 'viewed_together');
});

test('pruning is exact: the top k equals scoring every candidate (random tables and contexts)', () => {
  let seed = 11;
  const rand = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296);
  const n = 400;
  const dim = 8;
  const vectors = new Float32Array(n * dim).map(() => rand() - 0.5);
  for (let i = 0; i < n; i++) {
    const v = vectors.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...v);
    v.forEach((x, d) => (v[d] = x / norm));
  }
  const rows = (count: number) => sparseRows(Array.from({ length: n }, (_, i) => Array.from({ length: count }, (_, c) => [(i + 1 + Math.floor(rand() * 60)) % n, rand() / (c + 1)] as const).filter(([j], c, all) => all.findIndex(([x]) => x === j) === c)));
  const t: OfferTables = { items: Array.from({ length: n }, (_, i) => `i${i}`), dim, vectors, neighborCount: 12, neighbors: rows(12), cooc: rows(10), bought: rows(4), popularity: Float32Array.from({ length: n }, () => Math.floor(1000 * rand() ** 4)) };
  const value = Float32Array.from({ length: n }, () => rand());
  // Co-occurrence-led weights (as trained versions have them), and similarity- and popularity-led ones, where
  // embedding neighbours and the most popular items win places (and their pruning has to hold).
  const weightings = [
    { cooc: 1, similarity: 0.5, session: 0.5, history: 0.25, popularity: 0.05, bought: 0.5 },
    { cooc: 0.2, similarity: 2, session: 0.1, history: 0.1, popularity: 0.5, bought: 0.2 },
    { cooc: 0.5, similarity: 0.5, session: 0.2, history: 0.1, popularity: 2, bought: 0.2 },
  ];
  for (const [variant, weights] of weightings.entries()) {
  const params: RankingParams = { ...DEFAULT_RANKING, weights, popularCandidates: 20 };
  const ranker = new OfferRanker(t, params);
  // The ranking's formula over its candidate set, every candidate scored in full.
  const reference = (ctx: RankingContext, k: number) => {
    const w = params.weights;
    const score = new Map<number, number>();
    const parts = new Map<number, number[]>();
    const add = (j: number, c: number, x: number) => {
      const p = parts.get(j) ?? [0, 0, 0, 0, 0, 0, 0];
      p[c]! += x;
      parts.set(j, p);
    };
    const q = new Float64Array(dim);
    const seedRows = (item: number, r: number) => {
      for (let d = 0; d < dim; d++) q[d]! += r * vectors[item * dim + d]!;
      for (const [rowsOf, c] of [[t.cooc, 0], [t.bought!, 5]] as const) for (let p = rowsOf.offsets[item]!; p < rowsOf.offsets[item + 1]!; p++) add(rowsOf.columns[p]!, c, r * rowsOf.weights[p]!);
      for (let p = t.neighbors.offsets[item]!; p < t.neighbors.offsets[item + 1]!; p++) add(t.neighbors.columns[p]!, 0, 0);
    };
    ctx.session.toReversed().forEach((item, age) => (add(item, 2, params.sessionDecay ** age), seedRows(item, params.sessionDecay ** age)));
    (ctx.history ?? []).toReversed().forEach((item, age) => (add(item, 3, params.historyDecay ** age), seedRows(item, params.historyContext * params.historyDecay ** age)));
    const maxPop = Math.max(...t.popularity);
    const popNorm = (j: number) => Math.log1p(t.popularity[j]!) / Math.log1p(maxPop);
    topK(Array.from({ length: n }, (_, i) => i), (i) => t.popularity[i]!, params.popularCandidates, t.popularity).items.forEach((j) => add(j, 0, 0));
    for (const list of ctx.categoryItems ?? []) for (const j of Array.from(list)) add(j, 6, 1);
    const qn = Math.hypot(...q) || 1;
    for (const [j, p] of parts) {
      if (j === ctx.session.at(-1) || ctx.exclude?.has(j) || (ctx.allow && !ctx.allow(j))) continue;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += q[d]! * vectors[j * dim + d]!;
      const lift = ctx.intentLift ?? 1;
      score.set(j, w.cooc * p[0]! + w.similarity * Math.max(0, dot / qn) + w.session * p[2]! + w.history * p[3]! + w.popularity * popNorm(j) + (p[6]! > 0 ? ctx.categoryWeight! * popNorm(j) : 0) + w.bought! * lift * p[5]! + (ctx.value ? ctx.valueWeight! * lift * ctx.value[j]! : 0));
    }
    return topK([...score.keys()], (j) => score.get(j)!, k, t.popularity);
  };
  for (let trial = 0; trial < 300; trial++) {
    const pick = () => Math.floor(rand() * n);
    // a category's trending items as serving passes them: most popular first (the ranker stops reading there)
    const byPopularity = (length: number) => [...new Set(Array.from({ length }, pick))].sort((a, b) => t.popularity[b]! - t.popularity[a]! || a - b);
    const blocked = new Set(Array.from({ length: 30 }, pick));
    const ctx: RankingContext = {
      session: Array.from({ length: 1 + Math.floor(rand() * 5) }, pick),
      history: Array.from({ length: Math.floor(rand() * 10) }, pick),
      ...(trial % 2 ? { exclude: new Set([pick()]), allow: (j: number) => !blocked.has(j), categoryItems: [byPopularity(20), byPopularity(10)], categoryWeight: trial % 8 < 4 ? 0.2 : 2, value, valueWeight: 0.1, intentLift: rand() * 3 } : {}),
    };
    const k = [1, 5, 10, 40][(trial >> 1) % 4]!;
    const got = ranker.rank(ctx, k);
    const want = reference(ctx, k);
    assert.deepEqual(got.items, want.items, `weights ${variant}, trial ${trial}`);
    got.scores.forEach((s, i) => assert.ok(Math.abs(s - want.scores[i]!) < 1e-6, `weights ${variant}, trial ${trial}: ${s} vs ${want.scores[i]}`));
  }
  }
});
