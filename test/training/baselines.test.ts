import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../datasets/random.ts';
import { IobError } from '../../engine/index.ts';
import { matrix } from '../../models/matrix.ts';
import { choleskySolve, fitLogisticRegression, fitPrior } from '../../training/baselines.ts';
import { rocAuc } from '../../training/metrics.ts';

/** Two Gaussian blobs split by the line x0 + x1 = 0, with a margin: linearly separable. */
function separable(n: number, seed: number): { x: ReturnType<typeof matrix>; y: Uint8Array } {
  const rng = new Rng(seed);
  const x = matrix(n, 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const shift = label === 1 ? 2 : -2;
    x.data[i * 2] = shift + 0.5 * rng.normal();
    x.data[i * 2 + 1] = shift + 0.5 * rng.normal();
    y[i] = label;
  }
  return { x, y };
}

test('logistic regression separates a separable toy set, with finite weights', () => {
  const { x, y } = separable(200, 1);
  const model = fitLogisticRegression(x, y);
  const p = model.predict(x);
  assert.equal(rocAuc(y, p), 1);
  for (let i = 0; i < y.length; i++) assert.equal(p[i]! > 0.5 ? 1 : 0, y[i], `row ${i}`);
  // L2 keeps the solution finite on separable data, and the two symmetric features weigh alike.
  assert.ok(model.weights.every((w) => Number.isFinite(w) && w > 0));
  assert.ok(Math.abs(model.weights[0]! - model.weights[1]!) < 0.5 * model.weights[0]!);
});

test('logistic regression is deterministic', () => {
  const { x, y } = separable(100, 2);
  assert.deepEqual(fitLogisticRegression(x, y).weights, fitLogisticRegression(x, y).weights);
});

test('logistic regression matches the known optimum of a one-feature problem', () => {
  // With λ → 0 and one binary feature, the MLE is the log-odds in each group:
  // x=0: 1 of 4 positive → intercept log(1/3); x=1: 3 of 4 → slope·σ-scale = log(3) − log(1/3).
  const x = matrix(8, 1, Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]));
  const y = Uint8Array.from([1, 0, 0, 0, 1, 1, 1, 0]);
  const model = fitLogisticRegression(x, y, { l2: 1e-9 });
  const p = model.predict(matrix(2, 1, Float32Array.from([0, 1])));
  assert.ok(Math.abs(p[0]! - 0.25) < 1e-6, `p(x=0) = ${p[0]}`);
  assert.ok(Math.abs(p[1]! - 0.75) < 1e-6, `p(x=1) = ${p[1]}`);
});

test('prior predicts the training positive rate everywhere', () => {
  const prior = fitPrior([1, 0, 0, 0]);
  assert.deepEqual(Array.from(prior.predict(matrix(3, 2))), [0.25, 0.25, 0.25]);
});

test('a single-class training set is refused with a clear error', () => {
  const x = matrix(3, 1, Float32Array.from([1, 2, 3]));
  assert.throws(
    () => fitLogisticRegression(x, [0, 0, 0]),
    (err: unknown) => err instanceof IobError && err.code === 'IOB_ERR_VALIDATION' && /both classes/.test(err.message) && err.problems[0]?.reason === 'single_class',
  );
});

test('Cholesky solve inverts a symmetric positive-definite system', () => {
  const a = Float64Array.from([4, 2, 2, 3]);
  const x = choleskySolve(a, Float64Array.from([2, 1]), 2);
  assert.ok(Math.abs(4 * x[0]! + 2 * x[1]! - 2) < 1e-12 && Math.abs(2 * x[0]! + 3 * x[1]! - 1) < 1e-12);
});
