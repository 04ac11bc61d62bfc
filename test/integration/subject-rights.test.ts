import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { EVENTS_STREAM, openErasureList } from '../../engine/index.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';
import { defer, startTestNats } from '../helpers/nats.ts';

test('export shows what is held; erase purges the stream, tombstones consent, lists the pseudonym, and is audited', async (t) => {
  const { app, engine } = await startTestStack(t);
  const subject = 'erase.me@example.com';
  const enc = encodeURIComponent(subject);
  await app.inject({ method: 'PUT', url: `/v1/consent/${enc}`, headers: bearer('admin'), payload: { purposes: { personalization: true }, source: 'cmp' } });
  const events = Array.from({ length: 30 }, (_, i) => ({ id: `x${i}`, ts: Date.now() - 1000, subject, type: 'view', item: `i${i}` }));
  const other = { id: 'keep', ts: Date.now() - 1000, subject: 'someone-else', type: 'view' };
  const ingest = await app.inject({ method: 'POST', url: '/v1/events', headers: bearer('ingest'), payload: { events: [...events, other] } });
  assert.equal(ingest.json().accepted, 31);

  const exported = await app.inject({ url: `/v1/subjects/${enc}/export`, headers: bearer('admin') });
  assert.equal(exported.statusCode, 200);
  const doc = exported.json();
  assert.equal(doc.events.length, 30);
  assert.equal(doc.consent.purposes.personalization, true);
  assert.ok(!exported.body.includes(subject), 'the export holds no raw identifier (none is stored)');
  assert.equal(doc.events[0].item, 'i0');

  assert.ok(engine.pseudonymize.memoized() > 0, 'raw ids are memoized while they are used');
  const erased = await app.inject({ method: 'DELETE', url: `/v1/subjects/${enc}`, headers: bearer('admin') });
  assert.equal(erased.statusCode, 200);
  assert.equal(engine.pseudonymize.memoized(), 0, 'an erasure leaves no raw id in the memo');
  const receipt = erased.json();
  assert.equal(receipt.held, true);
  assert.equal(receipt.purged.events, 30);
  assert.equal(receipt.consentTombstoned, true);
  assert.ok(receipt.durationMs < 5000);

  const sid = engine.pseudonymize('subject', subject);
  assert.ok(engine.erasures.has(sid));
  const info = await engine.jsm.streams.info(EVENTS_STREAM, { subjects_filter: `iob.events.${sid}` });
  assert.equal(info.state.subjects?.[`iob.events.${sid}`] ?? 0, 0, 'no message of that subject remains');
  assert.equal(info.state.messages, 1, 'other subjects are untouched');

  const after = (await app.inject({ url: `/v1/subjects/${enc}/export`, headers: bearer('admin') })).json();
  assert.equal(after.events.length, 0);
  assert.equal(after.consent.purposes.personalization, false);
  assert.equal(after.erased, true);

  const never = await app.inject({ method: 'DELETE', url: '/v1/subjects/never-seen', headers: bearer('admin') });
  assert.equal(never.json().held, false);
  const emptyExport = (await app.inject({ url: '/v1/subjects/never-seen-2/export', headers: bearer('admin') })).json();
  assert.deepEqual(emptyExport.events, []);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/${enc}`, headers: { authorization: 'Bearer not-a-key-at-all-000' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/${enc}`, headers: bearer('ingest') })).statusCode, 403);

  const audit = (await app.inject({ url: '/v1/audit?limit=100', headers: bearer('admin') })).json();
  const actions = audit.entries.map((e: { action: string }) => e.action);
  assert.ok(actions.includes('subject.export'));
  assert.ok(actions.includes('subject.erase'));
  assert.ok(!JSON.stringify(audit).includes(subject));
});

test('an erasure listed by one process reaches the others (each empties its memo of raw ids)', async (t) => {
  const server = await startTestNats(t);
  const [a, b] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
  defer(t, () => Promise.all([a.close(), b.close()]));
  const seenByB: string[] = [];
  const listA = await openErasureList(a.jetstream());
  const listB = await openErasureList(b.jetstream(), { onErased: (sid) => seenByB.push(sid) });
  defer(t, () => Promise.all([listA.close(), listB.close()]));
  await listA.add('AAAAAAAAAAAAAAAAAAAAAA');
  for (let i = 0; i < 100 && seenByB.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seenByB, ['AAAAAAAAAAAAAAAAAAAAAA']);
  assert.ok(listB.has('AAAAAAAAAAAAAAAAAAAAAA'));
  // Opening a list replays what was erased before without calling back (nothing of theirs is memoized yet).
  const calls: string[] = [];
  const listC = await openErasureList(b.jetstream(), { onErased: (sid) => calls.push(sid) });
  defer(t, () => listC.close());
  assert.ok(listC.has('AAAAAAAAAAAAAAAAAAAAAA'));
  assert.deepEqual(calls, []);
});
