/**
 * Every route × every key: no key → 401, a key without the route's scope → 403, a key with it (or
 * `admin`) → 2xx — with a model serving and forecasts published, so "2xx" means the route really ran.
 * The table of sample requests must cover every declared endpoint, so a new route cannot skip this test.
 * Public routes (health, metrics, docs, dashboard shell) answer without a key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCOPES } from '../../engine/index.ts';
import { ENDPOINTS, type EndpointKey } from '../../serving/endpoints.ts';
import { computeForecasts, loadServingForecaster } from '../../training/forecast/refresh.ts';
import { trainedFixture } from '../forecast/refresh-fixture.ts';
import { startTestStack, TEST_KEYS } from '../helpers/engine.ts';
import { tempDir } from '../helpers/nats.ts';
import { registerStoreIntentModel } from '../models/store-intent-model.ts';
import { registerStoreOffersModel } from '../offers/store-offers-model.ts';

interface Sample {
  url: string;
  payload?: object;
}

const SUBJECT = 'scope-table-subject';
const SAMPLES: Record<EndpointKey, Sample> = {
  'POST /v1/events': { url: '/v1/events', payload: { events: [{ id: 'scope-1', ts: Date.now() - 1000, subject: SUBJECT, type: 'view', item: 'sku-0' }] } },
  'PUT /v1/consent/:subject': { url: `/v1/consent/${SUBJECT}`, payload: { purposes: { personalization: true }, source: 'cmp' } },
  'GET /v1/consent/:subject': { url: `/v1/consent/${SUBJECT}` },
  'GET /v1/features/:subject': { url: `/v1/features/${SUBJECT}` },
  'GET /v1/subjects/:subject/export': { url: `/v1/subjects/${SUBJECT}/export` },
  'DELETE /v1/subjects/:subject': { url: `/v1/subjects/${SUBJECT}` },
  'GET /v1/audit': { url: '/v1/audit?limit=5' },
  'GET /v1/processing-record': { url: '/v1/processing-record' },
  'POST /v1/intent': { url: '/v1/intent', payload: { subject: SUBJECT } },
  'POST /v1/offers': { url: '/v1/offers', payload: { subject: SUBJECT, k: 3 } },
  'PUT /v1/catalog': { url: '/v1/catalog', payload: { items: [{ id: 'sku-1', category: 'c', price: 3 }] } },
  'GET /v1/models': { url: '/v1/models' },
  'GET /v1/forecasts': { url: '/v1/forecasts?item=sku-1' },
  'GET /v1/forecasts/series': { url: '/v1/forecasts/series' },
  'GET /v1/forecasts/top': { url: '/v1/forecasts/top' },
};

test('route × scope: 401 without a key, 403 without the scope, 2xx with it', async (t) => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(ENDPOINTS).sort(), 'a sample request for every declared endpoint');
  for (const scope of SCOPES) assert.ok(TEST_KEYS.some((k) => k.scopes.length === 1 && k.scopes[0] === scope), `a test key holding only ${scope}`);

  const registry = tempDir(t, 'iob-registry-');
  await registerStoreIntentModel(registry, 'v1', { seed: 1, promote: true });
  await registerStoreOffersModel(registry, 'v1', { promote: true });
  const fx = await trainedFixture(t);
  const { app, engine } = await startTestStack(t, {}, { registry });
  const doc = computeForecasts(fx.set, await loadServingForecaster(fx.registryDir));
  await engine.forecasts.publish(doc);
  await engine.forecasts.waitFor(doc.generatedAt, 5000);

  let checked = 0;
  for (const [key, sample] of Object.entries(SAMPLES) as [EndpointKey, Sample][]) {
    const method = key.split(' ')[0] as 'GET';
    const need = ENDPOINTS[key].scope;
    const send = (authorization?: string) =>
      app.inject({ method, url: sample.url, headers: authorization ? { authorization } : {}, ...(sample.payload ? { payload: sample.payload } : {}) });

    const anonymous = await send();
    assert.equal(anonymous.statusCode, 401, `${key} without a key`);
    assert.equal(anonymous.json().code, 'IOB_ERR_UNAUTHORIZED');
    assert.equal((await send('Bearer not-a-valid-key-000000000')).statusCode, 401, `${key} with an unknown key`);
    for (const apiKey of TEST_KEYS) {
      const allowed = apiKey.scopes.includes(need) || apiKey.scopes.includes('admin');
      const res = await send(`Bearer ${apiKey.key}`);
      if (allowed) assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${key} with ${apiKey.id}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      else {
        assert.equal(res.statusCode, 403, `${key} with ${apiKey.id} (lacks ${need})`);
        assert.equal(res.json().code, 'IOB_ERR_FORBIDDEN');
      }
      checked++;
    }
  }
  assert.equal(checked, Object.keys(SAMPLES).length * TEST_KEYS.length);

  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/dashboard']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, `${url} is public: ${res.statusCode}`);
  }
});
