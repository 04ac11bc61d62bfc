import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleForecastRefresh } from '../../training/forecast/refresh.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';
import { trainedFixture } from './refresh-fixture.ts';

test("the engine's schedule forecasts from its own demand history (purchases summed per item and category) and serves them", async (t) => {
  const fx = await trainedFixture(t);
  const stack = await startTestStack(t);
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day) * day;
  const events = [];
  for (let d = 60; d >= 1; d--) {
    for (const [item, category, units] of [['sku-a', 'shoes', 3 + (d % 7)], ['sku-b', 'shoes', 1], ['sku-c', 'bags', 2]] as const) {
      events.push({ id: `e-${item}-${d}`, ts: today - d * day + 3_600_000, subject: `shopper-${d % 5}`, type: 'purchase', item, category, quantity: units, price: 10 });
    }
  }
  const report = await stack.engine.ingest(events);
  assert.equal(report.accepted, events.length);
  const lastSeq = Math.max(...report.results.map((r) => r.seq ?? 0));
  await stack.engine.waitForSeq(lastSeq, 10_000);

  const logs: string[] = [];
  const log = { info: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`), warn: (o: object, m: string) => logs.push(`WARN ${m} ${JSON.stringify(o)}`) };
  const stop = scheduleForecastRefresh({ at: '02:00', registryDir: fx.registryDir, demand: stack.engine.features, store: stack.engine.forecasts, log: log as never });
  t.after(stop);
  const deadline = Date.now() + 20_000;
  while (!stack.engine.forecasts.current() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const doc = stack.engine.forecasts.current();
  assert.ok(doc, logs.join('\n'));
  assert.equal(doc.source, 'engine');
  assert.deepEqual(doc.series.map((s) => `${s.kind}:${s.id}`).sort(), ['category:bags', 'category:shoes', 'item:sku-a', 'item:sku-b', 'item:sku-c']);
  const shoes = doc.series.find((s) => s.id === 'shoes')!;
  const skuA = doc.series.find((s) => s.id === 'sku-a')!;
  const skuB = doc.series.find((s) => s.id === 'sku-b')!;
  assert.equal(shoes.volume, skuA.volume + skuB.volume);
  assert.equal(skuB.volume, 60);

  const res = await stack.app.inject({ method: 'GET', url: '/v1/forecasts?category=shoes', headers: bearer('forecast') });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().history.at(-1).units, 3 + 1 + 1);
});
