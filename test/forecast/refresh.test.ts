import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatureStore } from '../../engine/features/online-store.ts';
import type { ForecastDocument } from '../../engine/index.ts';
import { parseDay } from '../../models/forecast/calendar.ts';
import { computeForecasts, computeForecastsYielding, loadServingForecaster, msUntil, refreshForecasts, seriesFromDemandHistory, splitSeriesKey } from '../../training/forecast/refresh.ts';
import { FIXTURE_HORIZON, trainedFixture } from './refresh-fixture.ts';

test('computeForecasts: every item and category, p10 ≤ p50 ≤ p90, history, backtest beside the baselines, holdout from the card', async (t) => {
  const fx = await trainedFixture(t);
  const model = await loadServingForecaster(fx.registryDir);
  const doc = computeForecasts(fx.set, model, { now: () => new Date('2024-06-01T00:00:00Z') });
  // The event-loop-friendly variant the engine's schedule uses computes the same document.
  assert.deepEqual(await computeForecastsYielding(fx.set, model, { now: () => new Date('2024-06-01T00:00:00Z') }, 3), doc);
  assert.equal(doc.generatedAt, '2024-06-01T00:00:00.000Z');
  assert.equal(doc.horizon, FIXTURE_HORIZON);
  assert.equal(doc.model.version, fx.version);
  assert.deepEqual(Object.keys(doc.model.holdout).sort(), ['ets', 'mean', 'model', 'snaive']);
  assert.deepEqual(doc.series.map((s) => `${s.kind}:${s.id}`).sort(), ['category:bags', 'category:shoes', ...[0, 1, 2, 3, 4, 5].map((i) => `item:sku-${i}`)].sort());
  const lastDay = (parseDay('2024-01-01') as number) + 149;
  for (const s of doc.series) {
    assert.equal(s.history.length, 150); // shorter than a year: all of it
    assert.equal(s.forecastStart, lastDay + 1);
    assert.equal(s.p50.length, FIXTURE_HORIZON);
    s.p50.forEach((p50, h) => assert.ok((s.p10[h] as number) <= p50 && p50 <= (s.p90[h] as number)));
    assert.deepEqual(Object.keys(s.backtest ?? {}).sort(), ['ets', 'mean', 'model', 'snaive']);
    const recent = s.history.slice(-FIXTURE_HORIZON).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s.recent - recent) < 0.01);
  }
  assert.ok(doc.backtest && doc.backtest.accuracy.model!.wape >= 0);
  // The category forecast is of the category's own series, not recomputed from items.
  const shoes = doc.series.find((s) => s.kind === 'category' && s.id === 'shoes')!;
  assert.ok(shoes.volume > doc.series.find((s) => s.id === 'sku-0')!.volume);
});

test('refreshForecasts publishes one document; without a serving model it says how to get one', async (t) => {
  const fx = await trainedFixture(t);
  const published: ForecastDocument[] = [];
  const result = await refreshForecasts(fx.set, fx.registryDir, { publish: async (d) => void published.push(d) }, { backtest: false });
  assert.equal(published.length, 1);
  assert.equal(published[0]!.backtest, undefined);
  assert.deepEqual([result.items, result.categories, result.version], [6, 2, fx.version]);
  await assert.rejects(refreshForecasts(fx.set, `${fx.dir}/no-registry`, { publish: async () => undefined }), /no forecast model serves.*iob train forecast/);
});

test('seriesFromDemandHistory: purchases in the feature store become item and category daily series', () => {
  const store = new FeatureStore();
  const day = Date.UTC(2024, 0, 10);
  let seq = 0;
  const buy = (ts: number, item: string, category: string, quantity: number) =>
    store.apply({ ts, sid: `s${seq % 3}`, type: 'purchase', item, category, quantity, price: 1 }, ++seq);
  buy(day, 'a', 'x', 2);
  buy(day + 3600_000, 'a', 'x', 1);
  buy(day + 2 * 86_400_000, 'b', 'x', 5);
  const set = seriesFromDemandHistory(store);
  const byKey = new Map(set.series.map((s) => [s.key, Array.from(s.values)]));
  assert.deepEqual(byKey.get('item:a'), [3, 0, 0]);
  assert.deepEqual(byKey.get('item:b'), [0, 0, 5]);
  assert.deepEqual(byKey.get('category:x'), [3, 0, 5]);
});

test('splitSeriesKey and msUntil', () => {
  assert.deepEqual(splitSeriesKey('category:shoes'), { kind: 'category', id: 'shoes' });
  assert.deepEqual(splitSeriesKey('item:a:b'), { kind: 'item', id: 'a:b' });
  assert.deepEqual(splitSeriesKey('plain'), { kind: 'item', id: 'plain' });
  assert.equal(msUntil('02:00', new Date('2024-01-01T01:00:00Z')), 3600_000);
  assert.equal(msUntil('02:00', new Date('2024-01-01T02:00:00Z')), 86_400_000);
});
