import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../datasets/random.ts';
import { IDENTITY_CALIBRATION, fitPlatt, sigmoid } from '../../models/calibration.ts';
import { IntentForward } from '../../models/intent/forward.ts';
import { namedWeightsOf, tfPredictScores } from '../../models/intent/tf-model.ts';
import { matrix, row, selectRows, type Matrix } from '../../models/matrix.ts';
import { tfBackend } from '../../models/tf-backend.ts';
import { tinyIntentModel } from './tiny-intent-model.ts';

const TOLERANCE = 1e-5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

const backend = await tfBackend();
const { dataset, fitted } = await tinyIntentModel();
const parts = { standardization: fitted.standardization, calibration: fitted.calibration, encoding: fitted.encoding };

test(`backend chosen once (${backend.name})`, async () => {
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(backend.name));
  assert.equal(await tfBackend(), backend);
});

test('pure-TS forward pass equals model.predict on real rows', () => {
  const rows = Uint32Array.from({ length: 500 }, (_, i) => (i * 24) % dataset.labels.length);
  const x = selectRows(dataset.x, rows);
  const diff = maxAbsDiff(fitted.forward.scoreMatrix(x), tfPredictScores(fitted.network, parts, x));
  assert.ok(diff <= TOLERANCE, `max |Δp| = ${diff}`);
});

test('pure-TS forward pass equals model.predict on random rows', () => {
  // Each feature drawn uniformly over its observed range (one-hot columns 0/1 independently): rows no session
  // ever had, at the scales features really take (TF.js and the float32 kernels agree to ~1e-7 there).
  const rng = new Rng(42);
  const cols = dataset.x.cols;
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  for (let i = 0; i < dataset.x.data.length; i++) {
    lo[i % cols] = Math.min(lo[i % cols]!, dataset.x.data[i]!);
    hi[i % cols] = Math.max(hi[i % cols]!, dataset.x.data[i]!);
  }
  const x: Matrix = matrix(1000, cols);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.between(lo[i % cols]!, hi[i % cols]!);
  const calibrated = fitted.forward.scoreMatrix(x);
  const diff = maxAbsDiff(calibrated, tfPredictScores(fitted.network, parts, x));
  assert.ok(diff <= TOLERANCE, `max |Δp| = ${diff}`);
  // Logits too, before the sigmoid can hide differences in its flat tails.
  const uncal = new IntentForward({ architecture: fitted.architecture, weights: namedWeightsOf(fitted.network), ...parts, calibration: IDENTITY_CALIBRATION });
  const tfProbs = tfPredictScores(fitted.network, { ...parts, calibration: IDENTITY_CALIBRATION }, x);
  for (let r = 0; r < x.rows; r++) {
    const p = tfProbs[r]!;
    if (p > 1e-4 && p < 1 - 1e-4) assert.ok(Math.abs(uncal.logit(row(x, r)) - Math.log(p / (1 - p))) < 1e-3);
  }
});

test('calibration is monotone and makes scores probabilities on the validation slice', () => {
  assert.ok(fitted.calibration.a > 0, 'a positive slope keeps the ranking');
  // Fitted on logits whose positives sit higher, Platt reproduces the base rate on average.
  const logits = Float64Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : -1) + Math.sin(i));
  const labels = Uint8Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const c = fitPlatt(logits, labels);
  const mean = logits.reduce((s, z) => s + sigmoid(c.a * z + c.b), 0) / logits.length;
  assert.ok(Math.abs(mean - 0.25) < 0.01, `mean calibrated probability ${mean}`);
});

test('contributions add up to the logit minus the mean visitor for a linear model', () => {
  // A wide-only network (no hidden layer, deep output acting linearly) is exactly linear: contributions are exact.
  const inputs = 4;
  const architecture = { kind: 'wide-and-deep-ensemble' as const, inputs, hidden: [], activation: 'relu' as const, wide: true, members: 1 };
  const weights = new Map([
    ['m0_deep_out/kernel', Float32Array.from([0.5, -1, 0, 2])],
    ['m0_deep_out/bias', Float32Array.from([0.25])],
    ['m0_wide/kernel', Float32Array.from([0.5, 0, 1, 0])],
  ]);
  const standardization = { mean: [1, 2, 3, 4], std: [1, 2, 1, 0.5] };
  const f = new IntentForward({ architecture, weights, standardization, calibration: IDENTITY_CALIBRATION });
  const raw = [2, 0, 3, 5];
  const c = f.contributions(raw);
  const atMean = f.logit(standardization.mean);
  assert.ok(Math.abs(c.reduce((s, v) => s + v, 0) - (f.logit(raw) - atMean)) < 1e-6);
  assert.deepEqual(Array.from(c), [1, 1, 0, 4]);
});

test('contributions of a trained model fold the bin columns back onto named features', () => {
  const c = fitted.forward.contributions(row(dataset.x, 0));
  assert.equal(c.length, dataset.features.length);
  assert.ok(c.every(Number.isFinite));
});

test('the forward pass refuses rows of the wrong width and weights of the wrong shape', () => {
  assert.throws(() => fitted.forward.score(new Float32Array(3)), /row has 3 features/);
  const weights = namedWeightsOf(fitted.network);
  weights.set('m0_deep0/bias', new Float32Array(2));
  assert.throws(() => new IntentForward({ architecture: fitted.architecture, weights, ...parts }), /m0_deep0\/bias/);
});
