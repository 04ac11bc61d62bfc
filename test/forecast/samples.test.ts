import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDay } from '../../models/forecast/calendar.ts';
import { defaultFeatureSpec } from '../../models/forecast/features.ts';
import { buildSamples } from '../../training/forecast/samples.ts';
import type { SeriesSet } from '../../training/forecast/series.ts';

const H = 7;
const spec = defaultFeatureSpec('day', H, 100);

function set(after: number): SeriesSet {
  const values = (s: number) => Float64Array.from({ length: 120 }, (_, t) => (t >= 100 ? after : s === 2 && t < 30 ? 0 : 3 + ((t * (s + 3)) % 5)));
  return { freq: 'day', start: parseDay('2024-01-01') as number, length: 120, series: [0, 1, 2].map((s) => ({ key: `s${s}`, values: values(s) })), notes: [], source: 'test' };
}

const options = { cut: 100, maxRows: 10_000, validationOrigins: 5, weightPower: 1, seed: 3 };

test('nothing at or after the cut reaches features, targets or weights', () => {
  const a = buildSamples(set(0), spec, options);
  const b = buildSamples(set(1e6), spec, options);
  assert.deepEqual(b.train, a.train);
  assert.deepEqual(b.validation, a.validation);
});

test('origins: training targets end before the first validation target; series start at their first sale', () => {
  const { train, validation, candidates } = buildSamples(set(0), spec, options);
  // last origin 100 − 1 − 7 = 92; validation origins 88..92 (5 per series); training origins ≤ 88 − 7 = 81.
  assert.equal(validation.rows, 3 * 5);
  assert.equal(candidates, 82 + 82 + (82 - 30));
  assert.equal(train.rows, candidates);
  assert.ok(train.w.every((w) => w > 0));
  const mean = train.w.reduce((s, w) => s + w, 0) / train.rows;
  assert.ok(Math.abs(mean - 1) < 1e-6);
});

test('large candidate sets are sub-sampled, reproducibly', () => {
  const small = { ...options, maxRows: 60 };
  const a = buildSamples(set(0), spec, small);
  assert.ok(a.train.rows > 30 && a.train.rows < 100, `${a.train.rows} rows`);
  assert.deepEqual(buildSamples(set(0), spec, small).train.x, a.train.x);
});
