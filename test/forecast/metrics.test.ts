import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccuracyAccumulator, pinball, seasonalNaiveMae } from '../../training/forecast/metrics.ts';

const q = (p10: number[], p50: number[], p90: number[]) => ({ p10: Float64Array.from(p10), p50: Float64Array.from(p50), p90: Float64Array.from(p90) });
const close = (actual: number, expected: number, message?: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ''} ${actual} ≠ ${expected}`);

test('pinball loss charges under- and over-forecasts by the quantile', () => {
  close(pinball(0.1, 10, 6), 0.4); // under-forecast: q · 4
  close(pinball(0.1, 4, 5), 0.9); // over-forecast: (1 − q) · 1
  close(pinball(0.9, 4, 7), 0.3);
  close(pinball(0.5, 3, 3), 0);
});

test('WAPE, coverage and pinball over two series, computed by hand', () => {
  const acc = new AccuracyAccumulator();
  acc.add([10, 0, 5], q([6, 0, 4], [8, 1, 5], [12, 2, 5]), 2);
  acc.add([4], q([5], [6], [7]), 0);
  const r = acc.result();
  close(r.wape, 5 / 19, 'wape'); // |errors| 2+1+0+2 over |actuals| 10+0+5+4
  close(r.coverage_80, 3 / 4, 'coverage'); // bounds inclusive: 0 ∈ [0,2] and 5 ∈ [4,5]; 4 ∉ [5,7]
  close(r.pinball.p10, (0.4 + 0 + 0.1 + 0.9) / 4, 'p10');
  close(r.pinball.p50, (1 + 0.5 + 0 + 1) / 4, 'p50');
  close(r.pinball.p90, (0.2 + 0.2 + 0 + 0.3) / 4, 'p90');
  close(r.pinball.mean, (r.pinball.p10 + r.pinball.p50 + r.pinball.p90) / 3, 'mean');
  close(r.mase, 1 / 2, 'mase: only the first series has a scale (MAE 1 / 2)');
});

test('MASE averages scaled errors over series with a non-zero scale', () => {
  const acc = new AccuracyAccumulator();
  acc.add([10, 0, 5], q([0, 0, 0], [8, 1, 5], [9, 9, 9]), 2); // MAE 1 / 2
  acc.add([2, 2], q([0, 0], [0, 0], [0, 0]), 1); // MAE 2 / 1
  acc.add([3], q([0], [0], [0]), 0); // no scale: left out of MASE, still in WAPE
  close(acc.result().mase, (0.5 + 2) / 2);
  close(acc.result().wape, (3 + 4 + 3) / (15 + 4 + 3));
});

test('negative actuals (returns) count by their size in the WAPE denominator', () => {
  const acc = new AccuracyAccumulator();
  acc.add([-2, 4], q([0, 0], [0, 4], [1, 5]), 1);
  close(acc.result().wape, 2 / 6);
  close(acc.result().coverage_80, 1 / 2);
});

test('metrics with nothing to average over are NaN', () => {
  const r = new AccuracyAccumulator().result();
  assert.ok(Number.isNaN(r.wape) && Number.isNaN(r.mase) && Number.isNaN(r.coverage_80));
  const zeros = new AccuracyAccumulator();
  zeros.add([0, 0], q([0, 0], [0, 0], [0, 0]), 0);
  assert.ok(Number.isNaN(zeros.result().wape));
  assert.equal(zeros.result().coverage_80, 1);
});

test('seasonal-naive in-sample MAE', () => {
  close(seasonalNaiveMae([1, 2, 3, 1, 2, 5], 3), 2 / 3);
  assert.equal(seasonalNaiveMae([1, 2], 7), 0); // shorter than a season: no scale
});
