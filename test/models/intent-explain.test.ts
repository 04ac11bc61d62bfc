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
import { memberLayerNames, type Activation, type IntentArchitecture } from '../../models/intent/architecture.ts';
import { IntentForward, type IntentForwardParts } from '../../models/intent/forward.ts';
import { encodeRow, encodedExtra, encodedSources, type PiecewiseLinearEncoding } from '../../models/piecewise-linear.ts';

const rng = new Rng(5);
const gauss = () => rng.float() * 2 - 1;

function model(hidden: number[], members: number, activation: Activation = 'elu', wide = true): IntentForwardParts {
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
  const architecture: IntentArchitecture = { kind: 'wide-and-deep-ensemble', inputs, hidden, activation, wide, members };
  const weights = new Map<string, Float32Array>();
  const sizes = [...hidden, 1];
  for (let k = 0; k < members; k++) {
    const names = memberLayerNames(architecture, k);
    [...names.hidden, names.deepOut].forEach((name, j) => {
      const fanIn = j === 0 ? inputs : sizes[j - 1]!;
      weights.set(`${name}/kernel`, Float32Array.from({ length: fanIn * sizes[j]! }, () => gauss() / Math.sqrt(fanIn)));
      weights.set(`${name}/bias`, Float32Array.from({ length: sizes[j]! }, () => gauss() * 0.1));
    });
    if (names.wide) weights.set(`${names.wide}/kernel`, Float32Array.from({ length: inputs }, () => gauss() * 0.3));
  }
  const standardization = { mean: Array.from({ length: inputs }, () => gauss()), std: Array.from({ length: inputs }, () => 0.5 + rng.float()) };
  return { architecture, weights, standardization, calibration: { method: 'platt', a: 1.3, b: -0.7 }, encoding };
}

const ACTIVATE: Record<Activation, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(0, x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  tanh: Math.tanh,
};
/** d activation / d pre-activation */
const SLOPE: Record<Activation, (x: number) => number> = {
  linear: () => 1,
  relu: (x) => (x > 0 ? 1 : 0),
  elu: (x) => (x > 0 ? 1 : Math.exp(x)),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
};

/**
 * Encode → standardize → every member in plain float64 loops (forward, then backward to the standardized
 * inputs z) → mean logit → calibration. Contributions by their definition: feature f's share is
 * Σ over its network inputs c of ∂logit/∂z_c · z_c (gradient × (x_c − μ_c) in raw units).
 */
function naive(parts: IntentForwardParts, raw: number[]): { score: number; contributions: number[] } {
  const { architecture: arch, weights, standardization, encoding } = parts;
  const e = new Float64Array(arch.inputs);
  encodeRow(raw, encoding!, e);
  const z = Array.from(e, (v, i) => (v - standardization.mean[i]!) / standardization.std[i]!);
  const dz = new Float64Array(arch.inputs);
  let sum = 0;
  for (let k = 0; k < arch.members; k++) {
    const names = memberLayerNames(arch, k);
    const layers = [...names.hidden, names.deepOut].map((name, j) => ({
      kernel: weights.get(`${name}/kernel`)!,
      bias: weights.get(`${name}/bias`)!,
      activation: j < names.hidden.length ? arch.activation : ('linear' as const),
    }));
    const inputs = [z];
    const pre: number[][] = [];
    for (const l of layers) {
      const h = inputs[inputs.length - 1]!;
      const units = l.bias.length;
      const p = Array.from({ length: units }, (_, u) => h.reduce((s, x, i) => s + x * l.kernel[i * units + u]!, l.bias[u]!));
      pre.push(p);
      inputs.push(p.map(ACTIVATE[l.activation]));
    }
    sum += inputs[layers.length]![0]!;
    let up = [1];
    for (let j = layers.length - 1; j >= 0; j--) {
      const l = layers[j]!;
      const units = l.bias.length;
      const g = up.map((v, u) => v * SLOPE[l.activation](pre[j]![u]!));
      up = inputs[j]!.map((_, i) => g.reduce((s, v, u) => s + v * l.kernel[i * units + u]!, 0));
    }
    up.forEach((v, i) => (dz[i]! += v));
    if (names.wide) {
      const wide = weights.get(`${names.wide}/kernel`)!;
      sum += z.reduce((s, x, i) => s + x * wide[i]!, 0);
      wide.forEach((w, i) => (dz[i]! += w));
    }
  }
  const contributions = new Array<number>(raw.length).fill(0);
  encodedSources(raw.length, encoding!).forEach((f, c) => (contributions[f]! += (dz[c]! * z[c]!) / arch.members));
  return { score: calibrate(sum / arch.members, parts.calibration), contributions };
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
      const want = naive(parts, raw).score;
      assert.ok(Math.abs(score - want) < 1e-6, `row ${raw}: ${score} vs ${want}`);
      assert.equal(f.explain(raw, out), score);
      assert.deepEqual(Array.from(out), Array.from(f.contributions(raw)));
    }
  });
}

// Widths off the kernels' four-lane vectors (a vector loop and a scalar tail; members' blocks in the entry
// at offsets that are not multiples of 4), every activation, with and without the wide term; later layers
// of 16 units and more take the kernels' sixteen-at-a-time blocks (with a remainder of four at a time).
const SHAPES: Array<[hidden: number[], members: number, activation: Activation, wide: boolean]> = [
  [[5, 3], 3, 'relu', true],
  [[6, 21, 3], 2, 'elu', true],
  [[3, 32, 16], 1, 'tanh', false],
  [[7], 2, 'tanh', false],
  [[3, 6, 2], 2, 'elu', true],
  [[1], 3, 'relu', false],
  [[4, 5], 2, 'linear', true],
  [[], 3, 'linear', false],
  [[9, 4, 1], 1, 'tanh', true],
];
for (const [hidden, members, activation, wide] of SHAPES) {
  test(`score and contributions equal the naive float64 forward and backward pass (hidden [${hidden}], ${members} members, ${activation}${wide ? ', wide' : ''})`, () => {
    const parts = model(hidden, members, activation, wide);
    const f = new IntentForward(parts);
    const out = new Float64Array(4);
    for (const raw of ROWS) {
      const want = naive(parts, raw);
      const score = f.explain(raw, out);
      assert.ok(Math.abs(score - want.score) < 1e-6, `row ${raw}: ${score} vs ${want.score}`);
      out.forEach((c, i) => assert.ok(Math.abs(c - want.contributions[i]!) < 1e-5 * Math.max(1, Math.abs(want.contributions[i]!)), `row ${raw}, feature ${i}: ${c} vs ${want.contributions[i]}`));
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
