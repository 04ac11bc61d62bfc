/**
 * The HTTP contract as an API consumer sees it, against a real engine (test nats-server): every error
 * answer carries a catalogue code, names the field and the reason without quoting the input, and the
 * OpenAPI document lists each route's error answers with the error schema.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, startTestStack } from '../helpers/engine.ts';

interface ErrorBody {
  code: string;
  message: string;
  problems?: Array<{ path: string; reason: string; message: string }>;
  requestId: string;
}

test('a route called with a method it does not have answers 405 IOB_ERR_METHOD_NOT_ALLOWED with Allow', async (t) => {
  const { app } = await startTestStack(t);
  const cases: Array<[method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, allow: string[]]> = [
    ['GET', '/v1/events', ['POST']],
    ['DELETE', '/v1/events', ['POST']],
    ['PATCH', '/v1/intent', ['POST']],
    ['GET', '/v1/catalog', ['PUT']],
    ['POST', '/v1/consent/someone', ['GET', 'HEAD', 'PUT']],
    ['POST', '/v1/subjects/someone', ['DELETE']],
    ['POST', '/v1/forecasts', ['GET', 'HEAD']],
  ];
  for (const [method, url, allow] of cases) {
    const res = await app.inject({ method, url, headers: bearer('admin') });
    assert.equal(res.statusCode, 405, `${method} ${url}: ${res.body}`);
    const body = res.json<ErrorBody>();
    assert.equal(body.code, 'IOB_ERR_METHOD_NOT_ALLOWED');
    assert.ok(body.requestId);
    assert.deepEqual(String(res.headers.allow).split(', ').sort(), allow, `${method} ${url}: Allow`);
  }
  // without a key too: the method is wrong whoever asks, and the route list is public (OpenAPI)
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/events' })).statusCode, 405);
  // the routes themselves are unchanged
  assert.equal((await app.inject({ method: 'GET', url: '/v1/consent/someone', headers: bearer('consent') })).statusCode, 200);
  assert.equal((await app.inject({ method: 'HEAD', url: '/v1/consent/someone', headers: bearer('consent') })).statusCode, 200);
  const unknown = await app.inject({ method: 'GET', url: '/v1/no-such-route' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json<ErrorBody>().code, 'IOB_ERR_NOT_FOUND');
});

test('an unknown field is named in the message, and a field name that looks personal is not echoed', async (t) => {
  const { app } = await startTestStack(t);
  const email = 'jane.doe@example.com';
  const consent = await app.inject({
    method: 'PUT',
    url: '/v1/consent/someone',
    headers: bearer('consent'),
    payload: { purposes: { personalization: true, [email]: true }, source: 'cmp' },
  });
  assert.equal(consent.statusCode, 400);
  assert.ok(!consent.body.includes('jane.doe'), `echoed a field name: ${consent.body}`);
  assert.deepEqual(consent.json<ErrorBody>().problems, [{ path: 'body.purposes', reason: 'unrecognized_keys', message: 'unknown field: [key]' }]);

  const offers = await app.inject({ method: 'POST', url: '/v1/offers', headers: bearer('score'), payload: { subject: 's', context: { explore: 'epsilon', temperature: 1, '+49 170 1234567': 2 } } });
  assert.equal(offers.statusCode, 400);
  assert.ok(!offers.body.includes('1234567'), `echoed a field name: ${offers.body}`);
  assert.deepEqual(offers.json<ErrorBody>().problems, [{ path: 'body.context', reason: 'unrecognized_keys', message: 'unknown fields: temperature, [key]' }]);
});
