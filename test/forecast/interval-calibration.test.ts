import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSizeFor } from '../../training/forecast/fit-network.ts';
import { calibrateOn, missRate, stretchFor, transferCalibration } from '../../training/forecast/interval-calibration.ts';

/** Needed stretches 0.0, 0.1, … 1.9 (20 points), sorted. */
const ramp = (scale: number) => Float64Array.from({ length: 20 }, (_, i) => (i / 10) * scale);

test('stretchFor leaves at most the asked share of points outside; missRate is its inverse', () => {
  const r = ramp(1);
  assert.equal(stretchFor(r, 0.1), 1.7); // 18 of 20 points need ≤ 1.7
  assert.equal(missRate(r, 1.7), 0.1);
  assert.equal(missRate(r, 0.05), 19 / 20);
  assert.equal(stretchFor(new Float64Array(0), 0.1), 1);
  assert.equal(stretchFor(Float64Array.from([0, 0, 0, 40]), 0.1), 5); // clamped
});

test('calibration on held-out points, and its transfer through in-sample miss rates', () => {
  const validation = { below: ramp(1), above: ramp(2) };
  assert.deepEqual(calibrateOn(validation), { low: 1.7, high: 3.4 });
  // The probe misses 10% below / 20% above on its own training rows at those stretches …
  const probeTraining = { below: ramp(1), above: ramp(2.5) };
  // … so the final network gets the stretches that miss as often on its training rows.
  const finalTraining = { below: ramp(0.5), above: ramp(1) };
  const t = transferCalibration(validation, probeTraining, finalTraining);
  assert.equal(t.low, stretchFor(finalTraining.below, missRate(probeTraining.below, 1.7)));
  assert.ok(Math.abs(t.low - 0.85) < 1e-12);
  assert.ok(Math.abs(t.high - stretchFor(finalTraining.above, missRate(probeTraining.above, 3.4))) < 1e-12);
});

test('small training sets get small batches (about 100 steps an epoch), large ones the cap', () => {
  assert.equal(batchSizeFor(60_000, 512), 512);
  assert.equal(batchSizeFor(18_000, 512), 180);
  assert.equal(batchSizeFor(1_000, 512), 32);
  assert.equal(batchSizeFor(10, 512), 10);
});
