/** Per-key rate limits: a key over its budget gets 429 with a code and Retry-After; other keys do not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../engine/index.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';

test('each key has its own budget per second; over it, 429 IOB_ERR_RATE_LIMITED with Retry-After', async (t) => {
  const { app } = await startTestStack(t, {}, { rateLimitPerSecond: 5 });
  const consent = (who: 'consent' | 'admin') => app.inject({ url: '/v1/consent/rate-limited-subject', headers: bearer(who) });
  const first = [];
  for (let i = 0; i < 5; i++) first.push((await consent('consent')).statusCode);
  assert.deepEqual(first, [200, 200, 200, 200, 200]);
  const over = await consent('consent');
  assert.equal(over.statusCode, 429);
  assert.equal(over.json().code, 'IOB_ERR_RATE_LIMITED');
  assert.ok(Number(over.headers['retry-after']) >= 1, 'Retry-After says when to come back');
  assert.equal(over.headers['x-ratelimit-limit'], '5');
  assert.equal((await consent('admin')).statusCode, 200, 'another key has its own budget');
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'public routes are not limited');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await consent('consent')).statusCode, 200, 'the budget refills');
});

test('a key may carry its own limit, and IOB_RATE_LIMIT sets the default (0 = unlimited)', () => {
  const config = loadConfig({ IOB_RATE_LIMIT: '250', IOB_API_KEYS: JSON.stringify([{ id: 'a', key: 'a'.repeat(20), scopes: ['score'], ratePerSecond: 40 }]) });
  assert.equal(config.rateLimit, 250);
  assert.equal(config.apiKeys?.[0]?.ratePerSecond, 40);
  assert.throws(() => loadConfig({ IOB_RATE_LIMIT: '-1' }), /IOB_RATE_LIMIT/);
});
