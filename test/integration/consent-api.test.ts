import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, startTestStack } from '../helpers/engine.ts';

test('consent API: default deny, grant and withdraw with source and notice, audit trail, clear 4xx', async (t) => {
  const { app, logs } = await startTestStack(t);
  const subject = 'jane.doe@example.com';
  const path = `/v1/consent/${encodeURIComponent(subject)}`;

  const fresh = await app.inject({ url: path, headers: bearer('admin') });
  assert.equal(fresh.statusCode, 200);
  assert.deepEqual(fresh.json().purposes, { analytics: false, personalization: false, forecasting: true });

  const put = await app.inject({
    method: 'PUT',
    url: path,
    headers: bearer('admin'),
    payload: { purposes: { personalization: true, analytics: true }, source: 'cmp', notice: 'v3' },
  });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().purposes.personalization, true);
  assert.equal(put.json().changes.length, 2);
  assert.ok(!put.body.includes(subject), 'the raw subject id is never echoed');

  const withdraw = await app.inject({ method: 'PUT', url: path, headers: bearer('admin'), payload: { purposes: { personalization: false }, source: 'app' } });
  assert.equal(withdraw.json().purposes.personalization, false);
  assert.equal(withdraw.json().purposes.analytics, true);

  const unknown = await app.inject({ method: 'PUT', url: path, headers: bearer('admin'), payload: { purposes: { marketing: true }, source: 'cmp' } });
  assert.equal(unknown.statusCode, 400);
  assert.equal(unknown.json().code, 'IOB_ERR_VALIDATION');
  assert.equal(unknown.json().problems[0].path, 'body.purposes');
  const empty = await app.inject({ method: 'PUT', url: path, headers: bearer('admin'), payload: { purposes: {}, source: 'cmp' } });
  assert.equal(empty.statusCode, 400);
  const noSource = await app.inject({ method: 'PUT', url: path, headers: bearer('admin'), payload: { purposes: { analytics: true } } });
  assert.equal(noSource.json().problems[0].path, 'body.source');
  assert.equal((await app.inject({ url: path, headers: bearer('ingest') })).statusCode, 403);
  assert.equal((await app.inject({ url: path })).statusCode, 401);

  const audit = await app.inject({ url: '/v1/audit?from=1&limit=10', headers: bearer('admin') });
  assert.equal(audit.statusCode, 200);
  const entries = audit.json().entries;
  assert.equal(entries.length, 2);
  assert.equal(entries[0].action, 'consent.update');
  assert.equal(entries[0].actor, 'admin');
  assert.match(entries[0].sid, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(!audit.body.includes(subject));
  assert.equal((await app.inject({ url: '/v1/audit', headers: bearer('ingest') })).statusCode, 403);
  assert.equal((await app.inject({ url: '/v1/audit?limit=0', headers: bearer('admin') })).statusCode, 400);
  assert.ok(!logs.join('').includes(subject), 'logs never carry the raw subject id from the path');
});

test('Sec-GPC: 1 records an opt-out of personalization for the subjects a request carries', async (t) => {
  const { app } = await startTestStack(t);
  const grant = (s: string) =>
    app.inject({ method: 'PUT', url: `/v1/consent/${s}`, headers: bearer('admin'), payload: { purposes: { personalization: true }, source: 'cmp' } });
  await grant('u-gpc-1');
  await grant('u-gpc-2');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...bearer('ingest'), 'sec-gpc': '1' },
    payload: { events: [{ id: 'g1', ts: Date.now(), subject: 'u-gpc-1', type: 'view' }] },
  });
  assert.equal(res.statusCode, 200);
  const one = (await app.inject({ url: '/v1/consent/u-gpc-1', headers: bearer('admin') })).json();
  assert.equal(one.purposes.personalization, false);
  assert.equal(one.changes.at(-1).source, 'gpc');
  const two = (await app.inject({ url: '/v1/consent/u-gpc-2', headers: { ...bearer('admin'), 'sec-gpc': '1' } })).json();
  // The GET itself carried Sec-GPC: the opt-out is recorded before the answer is built.
  assert.equal(two.purposes.personalization, false);
  const audit = (await app.inject({ url: '/v1/audit?limit=100', headers: bearer('admin') })).json();
  assert.equal(audit.entries.filter((e: { action: string }) => e.action === 'consent.gpc').length, 2);
});
