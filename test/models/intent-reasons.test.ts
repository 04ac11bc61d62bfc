/**
 * The reasons serving names (gradient × (input − training mean), one backward pass) against occlusion
 * (the logit change when one feature is set to its training mean, one forward pass per feature) on a model
 * fitted on real Online Shoppers rows: the largest contribution should be one of occlusion's largest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { row } from '../../models/matrix.ts';
import { tinyIntentModel } from './tiny-intent-model.ts';

const { dataset, fitted } = await tinyIntentModel();

/** Indices of the k largest |values|, largest first. */
function top(values: ArrayLike<number>, k: number): number[] {
  return Array.from(values, (v, i) => [Math.abs(v), i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i);
}

test('the top reason is among the three features occlusion moves most on most real rows', () => {
  const forward = fitted.forward;
  const mean = fitted.standardization.mean;
  let rows = 0;
  let sameTop = 0;
  let inTop3 = 0;
  for (let r = 0; r < dataset.labels.length; r += 7) {
    const x = Float64Array.from(row(dataset.x, r));
    const logit = forward.logit(x);
    const occlusion = new Float64Array(forward.inputs);
    for (let f = 0; f < forward.inputs; f++) {
      const kept = x[f]!;
      x[f] = mean[f]!;
      occlusion[f] = logit - forward.logit(x);
      x[f] = kept;
    }
    const reason = top(forward.contributions(x), 1)[0]!;
    const occluded = top(occlusion, 3);
    rows++;
    if (reason === occluded[0]) sameTop++;
    if (occluded.includes(reason)) inTop3++;
  }
  // Measured 0.81 and 0.57 on this model (1,762 rows, 83 features); a linear attribution at the mean
  // visitor reaches 0.61 and 0.34.
  assert.ok(inTop3 / rows >= 0.7, `top reason among occlusion's top 3 on ${inTop3} of ${rows} rows`);
  assert.ok(sameTop / rows >= 0.45, `top reason equal to occlusion's top on ${sameTop} of ${rows} rows`);
});
