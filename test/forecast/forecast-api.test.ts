import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { openForecastStore } from '../../engine/index.ts';
import { computeForecasts, loadServingForecaster } from '../../training/forecast/refresh.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';
import { defer } from '../helpers/nats.ts';
import { FIXTURE_HORIZON, trainedFixture } from './refresh-fixture.ts';

test('GET /v1/forecasts*: JSON and CSV, movers, list, scope, bad input; a refresh published elsewhere reaches the serving process', async (t) => {
  const fx = await trainedFixture(t);
  const stack = await startTestStack(t);
  const { app } = stack;
  const get = (url: string, headers: Record<string, string> = bearer('forecast')) => app.inject({ method: 'GET', url, headers });

  // Before any refresh: 503 with a code, Retry-After.
  const early = await get('/v1/forecasts?item=sku-0');
  assert.equal(early.statusCode, 503);
  assert.equal(early.json().code, 'IOB_ERR_FORECASTS_UNAVAILABLE');

  // A refresh published by another process (its own NATS connection) reaches this engine's watch.
  const doc = computeForecasts(fx.set, await loadServingForecaster(fx.registryDir));
  const nc = await connect({ servers: stack.config.natsUrl as string });
  defer(t, () => nc.close());
  const publisher = await openForecastStore(nc.jetstream());
  defer(t, () => publisher.close());
  await publisher.publish(doc);
  await stack.engine.forecasts.waitFor(doc.generatedAt, 5000);

  const one = await get('/v1/forecasts?item=sku-1');
  assert.equal(one.statusCode, 200, one.body);
  const body = one.json();
  const s = doc.series.find((x) => x.id === 'sku-1')!;
  assert.equal(body.model.version, fx.version);
  assert.equal(body.forecast.length, FIXTURE_HORIZON);
  assert.deepEqual(body.forecast.map((p: { p50: number }) => p.p50), s.p50);
  assert.equal(body.history.length, s.history.length);
  assert.equal(body.history.at(-1).date, '2024-05-29');
  assert.equal(body.forecast[0].date, '2024-05-30');
  assert.deepEqual(Object.keys(body.model.holdout).sort(), ['ets', 'mean', 'model', 'snaive']);
  assert.deepEqual(Object.keys(body.backtest.accuracy).sort(), ['ets', 'mean', 'model', 'snaive']);

  const short = await get('/v1/forecasts?category=shoes&horizon=7');
  assert.equal(short.json().forecast.length, 7);
  assert.equal(short.json().kind, 'category');

  const csv = await get('/v1/forecasts?item=sku-1', { ...bearer('forecast'), accept: 'text/csv' });
  assert.equal(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.trim().split('\n');
  assert.equal(lines[0], 'date,kind,id,units,p10,p50,p90');
  assert.equal(lines.length, 1 + s.history.length + FIXTURE_HORIZON);
  assert.equal(lines.at(-FIXTURE_HORIZON), `2024-05-30,item,sku-1,,${s.p10[0]},${s.p50[0]},${s.p90[0]}`);
  assert.equal((await get('/v1/forecasts?item=sku-1&format=csv')).body, csv.body);

  const list = (await get('/v1/forecasts/series?kind=item&q=SKU')).json();
  assert.equal(list.total, 6);
  assert.ok(list.series.every((r: { kind: string }) => r.kind === 'item'));
  assert.ok(list.series[0].volume >= list.series[5].volume);
  assert.equal((await get('/v1/forecasts/series?q=zzz')).json().total, 0);

  const top = (await get('/v1/forecasts/top?kind=item&direction=both&limit=3')).json();
  assert.equal(top.movers.length, 3);
  const changes = top.movers.map((m: { change: number }) => Math.abs(m.change));
  assert.deepEqual(changes, [...changes].sort((a: number, b: number) => b - a));
  // The movers and the series list as CSV too, for planning tools: the same rows, in the same order.
  const topCsv = await get('/v1/forecasts/top?kind=item&direction=both&limit=3', { ...bearer('forecast'), accept: 'text/csv' });
  assert.match(String(topCsv.headers['content-type']), /^text\/csv/);
  const topLines = topCsv.body.trim().split('\n');
  assert.equal(topLines[0], 'kind,id,volume,recent,expected,change,change_ratio');
  assert.deepEqual(topLines.slice(1).map((l) => l.split(',')[1]), top.movers.map((m: { id: string }) => m.id));
  assert.equal(Number(topLines[1]!.split(',')[5]), top.movers[0].change);
  const listCsv = (await get('/v1/forecasts/series?kind=item&q=SKU&format=csv')).body.trim().split('\n');
  assert.equal(listCsv.length, 1 + 6);
  const up = (await get('/v1/forecasts/top?direction=up&horizon=7')).json();
  assert.equal(up.horizon, 7);
  assert.ok(up.movers.every((m: { change: number }) => m.change > 0));

  // Bad input: 4xx with codes.
  const cases: Array<[string, number, string]> = [
    ['/v1/forecasts', 400, 'IOB_ERR_VALIDATION'],
    ['/v1/forecasts?item=a&category=b', 400, 'IOB_ERR_VALIDATION'],
    ['/v1/forecasts?item=sku-1&horizon=0', 400, 'IOB_ERR_VALIDATION'],
    ['/v1/forecasts?item=sku-1&horizon=abc', 400, 'IOB_ERR_VALIDATION'],
    [`/v1/forecasts?item=sku-1&horizon=${FIXTURE_HORIZON + 1}`, 400, 'IOB_ERR_VALIDATION'],
    ['/v1/forecasts?item=no-such-item', 404, 'IOB_ERR_FORECAST_NOT_FOUND'],
    ['/v1/forecasts/top?direction=sideways', 400, 'IOB_ERR_VALIDATION'],
  ];
  for (const [url, status, code] of cases) {
    const res = await get(url);
    assert.equal(res.statusCode, status, url);
    assert.equal(res.json().code, code, url);
  }
  assert.equal((await get('/v1/forecasts?item=sku-1', {})).statusCode, 401);
  assert.equal((await get('/v1/forecasts?item=sku-1', bearer('ingest'))).statusCode, 403);
  assert.equal((await get('/v1/forecasts?item=sku-1', bearer('admin'))).statusCode, 200);

  // OpenAPI documents the routes with their scope.
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  for (const path of ['/v1/forecasts', '/v1/forecasts/top', '/v1/forecasts/series']) {
    assert.ok(spec.paths[path]?.get, path);
    assert.match(spec.paths[path].get.description, /forecast:read/);
  }
  // The dashboard is served by the same app.
  const page = await app.inject({ method: 'GET', url: '/dashboard' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<title>Demand forecasts/);
});
