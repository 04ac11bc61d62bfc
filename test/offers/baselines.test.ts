/**
 * POP and SKNN on hand-made sessions whose answers are worked out by hand (comments give the arithmetic).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { popRanker, sknnRanker } from '../../training/offers/baselines.ts';
import { evaluateRanker, type NextItemQuery } from '../../training/offers/protocol.ts';
import type { ItemSession } from '../../training/offers/sessions.ts';

function session(items: number[], end: number, subject = 's'): ItemSession {
  return { subject, start: end - items.length + 1, end, items, times: items.map((_, i) => end - items.length + 1 + i), types: items.map(() => 'view') };
}

const q = (prefix: number[]): NextItemQuery => ({ prefix, times: prefix.map((_, i) => i), history: [] });

test('POP lists training items by count (ties: lower index), never the item being viewed', () => {
  // counts: 0 → 3, 1 → 2, 2 → 1, 3 → 1
  const train = [session([0, 1, 0, 2], 10), session([1, 0], 20), session([3], 30)];
  const pop = popRanker(train, 5);
  assert.deepEqual(pop.recommend(q([4]), 20), [0, 1, 2, 3]);
  assert.deepEqual(pop.recommend(q([1]), 20), [0, 2, 3]);
  assert.deepEqual(pop.recommend(q([4]), 2), [0, 1]);
  // Test session [1, 2, 0]: prefix [1] → 2 is at rank 2 of [0, 2, 3]; prefix [1, 2] → 0 is at rank 1.
  const result = evaluateRanker(pop, { train, test: [session([1, 2, 0], 100)] });
  assert.equal(result.metrics.predictions, 2);
  assert.equal(result.metrics['hr@20'], 1);
  assert.equal(result.metrics['mrr@20'], (1 / 2 + 1) / 2);
  assert.equal(result.hitRateCurve[0], 0.5);
  assert.equal(result.hitRateCurve[1], 1);
  // Coverage: the union of lists is {0, 2, 3} ∪ {0, 1, 3} = all 4 training items.
  assert.equal(result.metrics.coverage, 1);
});

// S0 [0,1] (oldest), S1 [0,2], S2 [1,2,3], S3 [4] (newest). Counts: 0,1,2 → 2; 3,4 → 1.
const train = [session([0, 1], 1), session([0, 2], 2), session([1, 2, 3], 3), session([4], 4)];

test('SKNN: cosine between item sets, summed over neighbours', () => {
  const sknn = sknnRanker(train, 5);
  // {0}: S0 and S1 share item 0, each cos 1/√2; scores 0 → √2, 1 → 1/√2, 2 → 1/√2; 0 is viewed; tie 1 vs 2 → index.
  assert.deepEqual(sknn.recommend(q([0]), 20), [1, 2]);
  // {0,1}: S0 cos 1, S1 cos 1/2, S2 cos 1/√6; scores 0 → 1.5, 2 → 0.5 + 0.408, 3 → 0.408; 1 is viewed.
  assert.deepEqual(sknn.recommend(q([0, 1]), 20), [0, 2, 3]);
  // Item 4's only session has no other item; an item seen nowhere in training gives nothing.
  assert.deepEqual(sknn.recommend(q([4]), 20), []);
  assert.deepEqual(sknn.recommend(q([9]), 20), []);
});

test('SKNN keeps the most recent candidate sessions and the most similar neighbours', () => {
  // sampleSize 1: of S0, S1, S2 (sharing 0 or 1) only S2, the most recent, votes: 2 and 3 score 1/√6 each; 2 is more popular.
  assert.deepEqual(sknnRanker(train, 5, { sampleSize: 1, neighbors: 100 }).recommend(q([0, 1]), 20), [2, 3]);
  // neighbors 1: only S0 (cos 1) votes: 0 and 1; 1 is viewed.
  assert.deepEqual(sknnRanker(train, 5, { sampleSize: 500, neighbors: 1 }).recommend(q([0, 1]), 20), [0]);
});

test('SKNN on a test session: HR and MRR by hand', () => {
  // [0, 1, 2]: prefix [0] → 1 is rank 1 of [1, 2]; prefix [0, 1] → 2 is rank 2 of [0, 2, 3].
  const result = evaluateRanker(sknnRanker(train, 5), { train, test: [session([0, 1, 2], 100)] });
  assert.equal(result.metrics.predictions, 2);
  assert.equal(result.metrics['hr@20'], 1);
  assert.equal(result.metrics['mrr@20'], 0.75);
  assert.equal(result.metrics['hr@10'], 1);
  assert.equal(result.metrics['mrr@10'], 0.75);
  assert.equal(result.hitRateCurve[0], 0.5);
  assert.deepEqual([...result.ranks], [1, 2]);
  // Listed: {1, 2} ∪ {0, 2, 3} = 4 of the 5 training items.
  assert.equal(result.metrics.coverage, 4 / 5);
});

test('MRR@10 counts only ranks up to 10; HR@20 counts ranks 11–20', () => {
  // A ranker that always puts the target at rank 15.
  const ranker = { recommend: () => Array.from({ length: 20 }, (_, i) => (i === 14 ? 101 : 200 + i)) };
  const result = evaluateRanker(ranker, { train, test: [session([0, 101], 100)] });
  assert.equal(result.metrics['hr@20'], 1);
  assert.equal(result.metrics['hr@10'], 0);
  assert.equal(result.metrics['mrr@10'], 0);
  assert.equal(result.metrics['mrr@20'], 1 / 15);
});
