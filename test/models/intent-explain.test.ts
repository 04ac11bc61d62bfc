/**
 * IntentForward's fused layout (bins as prefix/base/slope rows, per-feature entry shares) against a naive
 * reference that materializes the encoded row, standardizes it and runs every dense layer in plain loops;
 * and `explain` (what serving runs) against `score` and `contributions`. The forward pass computes in
 * float32 (as TF.js does) and the reference in float64: they agree to float32 precision.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../datasets/random.ts';
import { calibrate } from '../../models/calibration.ts';
import { memberLayerNames, type IntentArchitecture } from '../../models/intent/architecture.ts';
import { IntentForward, type IntentForwardParts } from '../../models/intent/forward.ts';
import { encodeRow, encodedExtra, type PiecewiseLinearEncoding } from '../../models/piecewise-linear.ts';

const rng = new Rng(5);
const gauss = () => rng.float() * 2 - 1;

function model(hidden: number[], members: number): IntentForwardParts {
  const encoding: PiecewiseLinearEncoding = {
    kind: 'piecewise-linear',
    columns: [
      { column: 0, edges: [0, 1, 3, 7, 15] },
      { column: 2, edges: [-2, 0, 2] },
      { column: 3, edges: [0.5, 1] },
      // Column 2 binned a second time: such a column takes the general path.
      { column: 2, edges: [-1, 1] },
    ],
  };
  const raw = 4;
  const inputs = raw + encodedExtra(encoding);
  const architecture: IntentArchitecture = { kind: 'wide-and-deep-ensemble', inputs, hidden, activation: 'elu', wide: true, members };
  const weights = new Map<string, Float32Array>();
  const sizes = [...hidden, 1];
  for (let k = 0; k < members; k++) {
    const names = memberLayerNames(architecture, k);
    [...names.hidden, names.deepOut].forEach((name, j) => {
      const fanIn = j === 0 ? inputs : sizes[j - 1]!;
      weights.set(`${name}/kernel`, Float32Array.from({ length: fanIn * sizes[j]! }, () => gauss() / Math.sqrt(fanIn)));
      weights.set(`${name}/bias`, Float32Array.from({ length: sizes[j]! }, () => gauss() * 0.1));
    });
    weights.set(`${names.wide}/kernel`, Float32Array.from({ length: inputs }, () => gauss() * 0.3));
  }
  const standardization = { mean: Array.from({ length: inputs }, () => gauss()), std: Array.from({ length: inputs }, () => 0.5 + rng.float()) };
  return { architecture, weights, standardization, calibration: { method: 'platt', a: 1.3, b: -0.7 }, encoding };
}

/** Encode → standardize → every member in plain loops → mean logit → calibration. */
function naiveScore(parts: IntentForwardParts, raw: number[]): number {
  const { architecture: arch, weights, standardization, encoding } = parts;
  const e = new Float64Array(arch.inputs);
  encodeRow(raw, encoding!, e);
  const z = Array.from(e, (v, i) => (v - standardization.mean[i]!) / standardization.std[i]!);
  const elu = (x: number) => (x > 0 ? x : Math.expm1(x));
  let sum = 0;
  for (let k = 0; k < arch.members; k++) {
    const names = memberLayerNames(arch, k);
    let h = z;
    [...names.hidden, names.deepOut].forEach((name, j) => {
      const kernel = weights.get(`${name}/kernel`)!;
      const bias = weights.get(`${name}/bias`)!;
      const units = bias.length;
      const next = Array.from({ length: units }, (_, u) => h.reduce((s, x, i) => s + x * kernel[i * units + u]!, bias[u]!));
      h = j < names.hidden.length ? next.map(elu) : next;
    });
    const wide = weights.get(`${names.wide}/kernel`)!;
    sum += h[0]! + z.reduce((s, x, i) => s + x * wide[i]!, 0);
  }
  return calibrate(sum / arch.members, parts.calibration);
}

/** Values below, on, inside and above the bin edges, zeros included. */
const ROWS = [
  [0, 0, 0, 0],
  [0.5, 1, -3, 0.2],
  [1, -1, -2, 0.5],
  [2.5, 0, 0, 0.75],
  [7, 3, 1.5, 1],
  [15, 2, 2, 3],
  [40, -5, 9, -1],
  ...Array.from({ length: 50 }, () => [rng.float() * 20 - 2, gauss() * 3, gauss() * 3, rng.float() * 1.5]),
];

for (const [hidden, members] of [[[], 1], [[8], 2], [[8, 4], 3]] as const) {
  test(`fused layout equals the naive reference, and explain equals score and contributions (hidden [${hidden}], ${members} members)`, () => {
    const parts = model([...hidden], members);
    const f = new IntentForward(parts);
    const out = new Float64Array(4);
    for (const raw of ROWS) {
      const score = f.score(raw);
      assert.ok(Math.abs(score - naiveScore(parts, raw)) < 1e-6, `row ${raw}: ${score} vs ${naiveScore(parts, raw)}`);
      assert.equal(f.explain(raw, out), score);
      assert.deepEqual(Array.from(out), Array.from(f.contributions(raw)));
    }
  });
}

test('for a linear model, contributions add up to the logit minus the logit at the encoded mean', () => {
  const parts = model([], 1);
  const f = new IntentForward(parts);
  // At the encoded mean every standardized input is 0: the logit is the deep output's bias.
  const atMean = parts.weights.get('m0_deep_out/bias')![0]!;
  for (const raw of ROWS) {
    const c = f.contributions(raw);
    assert.ok(Math.abs(c.reduce((s, v) => s + v, 0) - (f.logit(raw) - atMean)) < 1e-5, `row ${raw}`);
  }
});
