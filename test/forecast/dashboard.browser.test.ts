/**
 * The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_BIN) driven
 * by playwright-core against the real app and engine. Asserts what a person sees: the key prompt, the
 * series list, a drawn fan chart, numbers equal to the API's, search filtering, the CSV download.
 * Saves a screenshot to test-artifacts/dashboard.png. Skips outside CI when no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { computeForecasts, loadServingForecaster } from '../../training/forecast/refresh.ts';
import { startTestStack, TEST_KEYS } from '../helpers/engine.ts';
import { defer } from '../helpers/nats.ts';
import { trainedFixture } from './refresh-fixture.ts';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI) throw new Error(`${CHROMIUM} not found: the browser tests need chromium (scripts/bootstrap.mjs --chromium installs it)`);

test('dashboard: key prompt, series list, fan chart, numbers equal to the API, search, CSV download, screenshot', { skip: missing && `no Chromium at ${CHROMIUM}` }, async (t) => {
  const fx = await trainedFixture(t);
  const stack = await startTestStack(t);
  const doc = computeForecasts(fx.set, await loadServingForecaster(fx.registryDir));
  await stack.engine.forecasts.publish(doc);
  const base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const key = TEST_KEYS.find((k) => k.id === 'forecast')!.key;
  const api = async (path: string, accept = 'application/json'): Promise<any> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, accept } });
    return accept === 'text/csv' ? res.text() : res.json();
  };

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  defer(t, () => browser.close());
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${base}/dashboard`);
  // A wrong key is refused and the prompt stays.
  await page.fill('#key', 'not-a-key-0123456789');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#login-error:has-text("not accepted")');
  // The right one opens the dashboard, and is kept for this tab only.
  await page.fill('#key', key);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#series tbody tr');
  assert.equal(await page.evaluate("sessionStorage.getItem('iob.forecast.key')"), key);
  assert.equal(await page.evaluate('document.cookie'), '');

  const list = await api('/v1/forecasts/series?limit=1000');
  assert.equal(await page.locator('#series tbody tr').count(), list.total);
  assert.match(await page.textContent('#meta') ?? '', new RegExp(`model ${fx.version}`));

  // The first row (largest volume) is selected and charted: band, history and median lines are drawn.
  await page.waitForSelector('#chart svg polygon.band');
  const first = list.series[0];
  assert.match((await page.textContent('#title')) ?? '', new RegExp(`${first.id}$`));
  // In the page (a string: this file is type-checked without the DOM library).
  const chart = (await page.evaluate(`(() => {
    const svg = document.querySelector('#chart svg');
    const points = (sel) => svg.querySelector(sel).getAttribute('points').split(' ').length;
    return { width: svg.getBoundingClientRect().width, band: points('polygon.band'), history: points('polyline.hist'), p50: points('polyline.p50') };
  })()`)) as { width: number; band: number; history: number; p50: number };
  assert.ok(chart.width > 300);
  assert.equal(chart.p50, doc.horizon);
  assert.equal(chart.band, 2 * doc.horizon);
  assert.ok(chart.history >= 56);

  // Numbers on the page are the API's.
  const sku1 = await api('/v1/forecasts?item=sku-1');
  await page.click('#series tbody tr[data-id="sku-1"]');
  await page.waitForSelector('#title:has-text("sku-1")');
  await page.waitForSelector('#accuracy tbody tr[data-method="model"]');
  const row = page.locator('#series tbody tr[data-id="sku-1"] td');
  const fmt0 = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  assert.equal(await row.nth(3).textContent(), fmt0(sku1.summary.expected));
  assert.equal(await row.nth(2).textContent(), fmt0(sku1.summary.recent));
  const modelRow = page.locator('#accuracy tbody tr[data-method="model"] td');
  assert.equal(await modelRow.nth(1).textContent(), sku1.backtest.accuracy.model.wape.toFixed(3));
  for (const m of ['snaive', 'ets', 'mean']) {
    assert.equal(await page.locator(`#accuracy tbody tr[data-method="${m}"] td`).nth(1).textContent(), sku1.backtest.accuracy[m].wape.toFixed(3));
  }

  // Search filters the list; sorting by expected change puts the biggest mover first.
  await page.fill('#search', 'shoe');
  await page.waitForFunction("document.querySelectorAll('#series tbody tr').length === 1");
  assert.equal(await page.getAttribute('#series tbody tr', 'data-id'), 'shoes');
  await page.fill('#search', '');
  await page.selectOption('#kind', 'item');
  await page.selectOption('#sort', 'change');
  const top = (await api('/v1/forecasts/top?kind=item&limit=1')).movers[0];
  assert.equal(await page.getAttribute('#series tbody tr:first-child', 'data-id'), top.id);

  // CSV download: the file is the API's CSV.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const dir = join('test-artifacts');
  await mkdir(dir, { recursive: true });
  const saved = join(dir, 'dashboard-forecast.csv');
  await download.saveAs(saved);
  assert.equal(await readFile(saved, 'utf8'), await api('/v1/forecasts?item=sku-1', 'text/csv'));

  await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
