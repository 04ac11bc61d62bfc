import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, grantConsent, grantPersonalization, startTestStack } from '../helpers/engine.ts';

const now = () => Date.now();
const event = (id: string, extra: Record<string, unknown> = {}) => ({ id, ts: now() - 1000, subject: 'shopper-1', session: 's-1', type: 'view', item: 'sku-1', ...extra });

test('POST /v1/events: valid events are stored and consumed, bad neighbours rejected one by one', async (t) => {
  const { app, engine } = await startTestStack(t);
  await grantConsent(engine, ['personalization', 'analytics'], 'shopper-1');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer('ingest'),
    payload: {
      events: [
        event('a1'),
        event('a2', { type: 'teleport' }),
        event('a3', { type: 'cart_add', price: 12.5, quantity: 2 }),
        event('a4', { ts: now() + 86_400_000 }),
        event('a5', { type: 'purchase', price: 12.5, email: 'x@y.example' }),
        'not an event',
      ],
    },
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.deepEqual(
    body.results.map((r: { status: string }) => r.status),
    ['accepted', 'rejected', 'accepted', 'rejected', 'accepted', 'rejected'],
  );
  assert.equal(body.accepted, 3);
  assert.equal(body.rejected, 3);
  assert.equal(body.results[1].problems[0].path, 'type');
  assert.equal(body.results[3].problems[0].reason, 'future_timestamp');
  assert.deepEqual(body.results[4].dropped, ['email']);
  const lastSeq = Math.max(...body.results.filter((r: { seq?: number }) => r.seq).map((r: { seq: number }) => r.seq));
  await engine.waitForSeq(lastSeq);
  const counts = engine.features.readRecord('subject', engine.pseudonymize('subject', 'shopper-1'));
  assert.equal(counts['subject.view_count_1h'], 1);
  assert.equal(counts['subject.cart_add_count_1h'], 1);
  assert.equal(counts['subject.purchase_count_1h'], 1);
  assert.equal(engine.features.readRecord('item', 'sku-1')['item.view_count_24h'], 1);
});

test('duplicate ids are stored once and reported as duplicates', async (t) => {
  const { app, engine } = await startTestStack(t);
  await grantPersonalization(engine, 'shopper-1');
  const send = () => app.inject({ method: 'POST', url: '/v1/events', headers: bearer('ingest'), payload: { events: [event('d1'), event('d2')] } });
  const first = (await send()).json();
  const second = (await send()).json();
  assert.equal(first.accepted, 2);
  assert.equal(second.duplicate, 2);
  assert.deepEqual(second.results.map((r: { seq: number }) => r.seq), first.results.map((r: { seq: number }) => r.seq));
  await engine.waitForSeq(first.results[1].seq);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(engine.features.readRecord('subject', engine.pseudonymize('subject', 'shopper-1'))['subject.view_count_1h'], 2);
  const info = await engine.jsm.streams.info('IOB_EVENTS');
  assert.equal(info.state.messages, 2);
});

test('auth: 401 without or with an unknown key, 403 with the wrong scope', async (t) => {
  const { app } = await startTestStack(t);
  const payload = { events: [event('k1')] };
  const none = await app.inject({ method: 'POST', url: '/v1/events', payload });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'IOB_ERR_UNAUTHORIZED');
  const unknown = await app.inject({ method: 'POST', url: '/v1/events', payload, headers: { authorization: 'Bearer nope-nope-nope-nope' } });
  assert.equal(unknown.statusCode, 401);
  const wrong = await app.inject({ method: 'POST', url: '/v1/events', payload, headers: bearer('score') });
  assert.equal(wrong.statusCode, 403);
  assert.equal(wrong.json().code, 'IOB_ERR_FORBIDDEN');
  const admin = await app.inject({ method: 'POST', url: '/v1/events', payload, headers: bearer('admin') });
  assert.equal(admin.statusCode, 200);
});

test('bad requests get 4xx with a code and never echo the body', async (t) => {
  const { app } = await startTestStack(t, { maxBatch: 5, bodyLimitBytes: 4096 });
  const post = (payload: string | object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { ...bearer('ingest'), 'content-type': 'application/json', ...headers }, payload });

  const malformed = await post('{"events": [ {"subject": "jane.doe@example.com", ');
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().code, 'IOB_ERR_MALFORMED_JSON');
  assert.ok(!malformed.body.includes('jane.doe'));

  const notArray = await post({ events: 'many' });
  assert.equal(notArray.statusCode, 400);
  assert.equal(notArray.json().problems[0].path, 'events');

  const tooMany = await post({ events: Array.from({ length: 6 }, (_, i) => event(`m${i}`)) });
  assert.equal(tooMany.statusCode, 413);
  assert.equal(tooMany.json().code, 'IOB_ERR_BATCH_TOO_LARGE');

  const tooBig = await post({ events: [event('big', { properties: { blob: 'x'.repeat(500) } })], pad: 'y'.repeat(5000) });
  assert.equal(tooBig.statusCode, 413);
  assert.equal(tooBig.json().code, 'IOB_ERR_BODY_TOO_LARGE');

  const text = await post('hello', { 'content-type': 'text/plain' });
  assert.equal(text.statusCode, 415);
  assert.equal(text.json().code, 'IOB_ERR_UNSUPPORTED_MEDIA_TYPE');

  const empty = await post('', {});
  assert.equal(empty.statusCode, 400);

  const missing = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'IOB_ERR_NOT_FOUND');
});

test('health, readiness, metrics and the OpenAPI document', async (t) => {
  const { app } = await startTestStack(t);
  assert.equal((await app.inject({ url: '/healthz' })).json().status, 'ok');
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().ready, true);

  await app.inject({ method: 'POST', url: '/v1/events', headers: bearer('ingest'), payload: { events: [event('m1'), event('m2', { type: 'nope' })] } });
  const metrics = (await app.inject({ url: '/metrics' })).body;
  assert.match(metrics, /iob_ingest_events_total\{outcome="accepted"\} 1/);
  assert.match(metrics, /iob_ingest_events_total\{outcome="rejected"\} 1/);
  assert.match(metrics, /iob_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/events"/);
  assert.match(metrics, /iob_consumer_lag_messages/);

  const doc = (await app.inject({ url: '/openapi.json' })).json();
  assert.equal(doc.openapi, '3.1.0');
  const post = doc.paths['/v1/events'].post;
  assert.ok(post.requestBody.content['application/json'].schema, 'request body schema documented');
  assert.deepEqual(post.security, [{ apiKey: ['ingest'] }], 'the requirement names the scope (OpenAPI 3.1 roles)');
  assert.match(JSON.stringify(post.requestBody), /cart_add/, 'event types come from the zod schema');
  const docs = await app.inject({ url: '/docs/' });
  assert.ok([200, 302].includes(docs.statusCode));
});

test('GET /v1/features/:subject shows the online features (admin only); unknown subjects read as zeros', async (t) => {
  const { app, engine } = await startTestStack(t);
  await grantPersonalization(engine, 'shopper-1');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer('ingest'),
    payload: { events: [event('f1'), event('f2', { type: 'cart_add', price: 20, item: 'sku-2' }), event('f3', { item: 'sku-2' })] },
  });
  await engine.waitForSeq(Math.max(...res.json().results.map((r: { seq: number }) => r.seq)));
  const features = await app.inject({ url: '/v1/features/shopper-1?session=s-1', headers: bearer('admin') });
  assert.equal(features.statusCode, 200);
  const body = features.json();
  assert.equal(body.subject['subject.view_count_24h'], 2);
  assert.equal(body.subject['subject.cart_add_count_1h'], 1);
  assert.equal(body.subject['subject.distinct_items_7d'], 2);
  assert.equal(body.session['session.event_count'], 3);
  assert.equal(body.session['session.cart_value'], 20);
  const unknown = (await app.inject({ url: '/v1/features/nobody', headers: bearer('admin') })).json();
  assert.ok(Object.values(unknown.subject).every((v) => v === 0));
  assert.equal((await app.inject({ url: '/v1/features/shopper-1', headers: bearer('score') })).statusCode, 403);
});
