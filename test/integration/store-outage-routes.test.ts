/**
 * The routes that read or write the event store's buckets and streams (consent changes, export, erasure,
 * catalog, audit) during a broker outage: 503 IOB_ERR_UNAVAILABLE with Retry-After, as ingest answers, not
 * 500 IOB_ERR_INTERNAL ("a bug") after the NATS client's timeout. Routes that answer from memory keep
 * answering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../helpers/cli-process.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';

test('broker outage: consent changes, export, erasure, catalog and audit answer 503 IOB_ERR_UNAVAILABLE with Retry-After', async (t) => {
  const { engine, app, stopNats } = await startTestStack(t);
  const requests = {
    'PUT /v1/consent/:subject': () => app.inject({ method: 'PUT', url: '/v1/consent/someone', headers: bearer('consent'), payload: { purposes: { analytics: true }, source: 'cmp' } }),
    'GET /v1/subjects/:subject/export': () => app.inject({ url: '/v1/subjects/someone/export', headers: bearer('admin') }),
    'DELETE /v1/subjects/:subject': () => app.inject({ method: 'DELETE', url: '/v1/subjects/someone', headers: bearer('admin') }),
    'PUT /v1/catalog': () => app.inject({ method: 'PUT', url: '/v1/catalog', headers: bearer('admin'), payload: { items: [{ id: 'sku-1', price: 3 }] } }),
    'GET /v1/audit': () => app.inject({ url: '/v1/audit', headers: bearer('admin') }),
  };
  for (const [key, send] of Object.entries(requests)) assert.equal((await send()).statusCode, 200, `${key} before the outage`);

  const restartNats = await stopNats();
  await waitUntil(() => !engine.isReady(), 5000, 'the engine to notice the outage');
  for (const [key, send] of Object.entries(requests)) {
    const res = await send();
    assert.equal(res.statusCode, 503, `${key}: ${res.body}`);
    assert.equal(res.json().code, 'IOB_ERR_UNAVAILABLE', key);
    assert.equal(res.headers['retry-after'], '1', key);
  }
  // the key is checked first: no key, no hint about the store
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/catalog', payload: { items: [{ id: 'sku-1' }] } })).statusCode, 401);
  // answered from memory: the consent view
  assert.equal((await app.inject({ url: '/v1/consent/someone', headers: bearer('consent') })).statusCode, 200);

  await restartNats();
  await waitUntil(() => engine.isReady(), 10_000, 'the engine to reconnect');
  for (const [key, send] of Object.entries(requests)) assert.equal((await send()).statusCode, 200, `${key} after the outage`);
});
