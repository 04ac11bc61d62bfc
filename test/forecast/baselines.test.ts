import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exponentialSmoothing, historicalMean, seasonalNaive } from '../../training/forecast/baselines.ts';
import { etsForecast, fitEts } from '../../training/forecast/exponential-smoothing.ts';
import { nelderMead } from '../../training/forecast/nelder-mead.ts';

const WEEK = [5, 7, 9, 8, 12, 20, 3];

function series(n: number, at: (t: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => at(t));
}

test('seasonal naive repeats a pure weekly pattern exactly, with a zero-width band', () => {
  const history = series(70, (t) => WEEK[t % 7] as number);
  const f = seasonalNaive(history, 14, 7);
  for (let h = 0; h < 14; h++) {
    assert.equal(f.p50[h], WEEK[(70 + h) % 7]);
    assert.equal(f.p10[h], f.p50[h]);
    assert.equal(f.p90[h], f.p50[h]);
  }
});

test('seasonal naive widens its band with the seasons ahead and falls back to naive on short history', () => {
  const history = series(56, (t) => (WEEK[t % 7] as number) + (t % 3)); // a little noise
  const f = seasonalNaive(history, 21, 7);
  const width = (h: number) => (f.p90[h] as number) - (f.p10[h] as number);
  assert.ok(Math.abs(width(7) / width(0) - Math.SQRT2) < 1e-9 || width(0) === 0);
  assert.ok(width(14) >= width(7));
  const short = seasonalNaive(Float64Array.from([4, 6, 5]), 3, 7);
  assert.deepEqual(Array.from(short.p50), [5, 5, 5]);
});

test('exponential smoothing recovers a linear trend with weekly seasonality', () => {
  const at = (t: number) => 50 + 2 * t + (WEEK[t % 7] as number);
  const history = series(140, at);
  const fit = fitEts(history, 7);
  assert.equal(fit.kind, 'holt-winters');
  const f = etsForecast(fit, 7);
  for (let h = 0; h < 7; h++) {
    const truth = at(140 + h);
    assert.ok(Math.abs((f[h] as number) - truth) / truth < 0.03, `step ${h + 1}: ${f[h]} vs ${truth}`);
  }
  assert.ok(fit.trend > 1.5 && fit.trend < 2.5, `trend ${fit.trend}`);
});

test('exponential smoothing picks the model the history allows', () => {
  assert.equal(fitEts(series(10, (t) => t), 7).kind, 'damped-holt');
  assert.equal(fitEts(series(13, (t) => t), 7).kind, 'damped-holt'); // < 2 seasons: no seasonal part
  assert.equal(fitEts(series(5, (t) => t), 7).kind, 'simple');
  assert.equal(fitEts(series(30, () => 0), 7).kind, 'constant');
  const zero = exponentialSmoothing(series(30, () => 0), 5, 7);
  assert.deepEqual(Array.from(zero.p90), [0, 0, 0, 0, 0]);
});

test('baseline quantiles are ordered and never negative', () => {
  const history = series(100, (t) => ((t * 7919) % 13) * (t % 5 === 0 ? 0 : 1));
  for (const f of [seasonalNaive(history, 28, 7), exponentialSmoothing(history, 28, 7), historicalMean(history, 28)]) {
    for (let h = 0; h < 28; h++) {
      assert.ok((f.p10[h] as number) >= 0);
      assert.ok((f.p10[h] as number) <= (f.p50[h] as number) && (f.p50[h] as number) <= (f.p90[h] as number));
    }
  }
});

test('historical mean forecasts the mean, with the history\'s own spread as its band', () => {
  const f = historicalMean(Float64Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), 2);
  assert.equal(f.p50[0], 50);
  assert.ok(Math.abs((f.p10[0] as number) - 10) < 1e-9);
  assert.ok(Math.abs((f.p90[0] as number) - 90) < 1e-9);
});

test('Nelder–Mead finds the minimum of a shifted quadratic', () => {
  const best = nelderMead((x) => ((x[0] as number) - 3) ** 2 + 10 * ((x[1] as number) + 1) ** 2, [0, 0], { maxIterations: 1000, tolerance: 1e-14 });
  assert.ok(Math.abs((best.x[0] as number) - 3) < 1e-4 && Math.abs((best.x[1] as number) + 1) < 1e-4);
});
