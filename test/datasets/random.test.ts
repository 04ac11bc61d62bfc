/**
 * The seeded PRNG's weighted draws: the guide-table sampler gives exactly the index the binary search gives
 * for the same stream (item2vec's negatives and every published figure depend on that).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CumulativeSampler, cumulativeWeights, Rng } from '../../datasets/random.ts';

function sameDraws(weights: number[], draws: number): void {
  const cumulative = cumulativeWeights(weights);
  const sampler = new CumulativeSampler(cumulative);
  const a = new Rng(11, 4);
  const b = new Rng(11, 4);
  const counts = new Array<number>(weights.length).fill(0);
  for (let i = 0; i < draws; i++) {
    const expected = a.weightedIndex(cumulative);
    const got = sampler.draw(b);
    assert.equal(got, expected, `draw ${i} of weights [${weights.slice(0, 8).join(', ')}…]`);
    counts[got]!++;
  }
  // zero-weight items are never drawn (unless every weight is zero: then the last index, as the search gives)
  if (weights.some((w) => w > 0)) weights.forEach((w, i) => w === 0 && assert.equal(counts[i], 0, `item ${i} has weight 0`));
}

test('the guide-table sampler draws what the binary search draws, for the same stream', () => {
  const rng = new Rng(5);
  const skewed = Array.from({ length: 5000 }, (_, i) => (1 / (i + 1)) ** 0.75 * 1e3);
  const sparse = Array.from({ length: 2000 }, () => (rng.chance(0.3) ? 0 : rng.float() ** 8));
  sameDraws(skewed, 50_000);
  sameDraws(sparse, 50_000);
  sameDraws([0, 0, 5, 0, 1e-9, 0], 10_000);
  sameDraws([1], 100);
  sameDraws([0, 0, 0], 100);
  sameDraws([3, 0, 0, 0], 1000);
  // nothing to draw from: index 0, and the stream moves on as the search's does
  const a = new Rng(2);
  const b = new Rng(2);
  assert.equal(new CumulativeSampler(new Float64Array(0)).draw(b), a.weightedIndex(new Float64Array(0)));
  assert.equal(b.float(), a.float());
});
