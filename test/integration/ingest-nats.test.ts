import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { connect } from 'nats';
import { createLogger, decodeEvent, EVENTS_STREAM, loadConfig, startEngine } from '../../engine/index.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';
import { grantPersonalization } from '../helpers/engine.ts';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

test('producers on iob.ingest.> go through the same boundary, once across a queue group of workers', async (t) => {
  const nats = await startTestNats(t);
  const config = loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: 'p'.repeat(32), maxBatch: 10 });
  const a = await startEngine({ config, log: quiet() });
  defer(t, () => a.close());
  const b = await startEngine({ config, log: quiet(), consume: false });
  defer(t, () => b.close());

  await grantPersonalization(a, 'u1');
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const events = Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, ts: Date.now() - 1000, subject: `u${i % 4}`, type: 'view', item: `i${i % 3}` }));
  for (let i = 0; i < events.length; i += 4) nc.publish(`iob.ingest.shop${i % 3}`, enc({ events: events.slice(i, i + 4) }));
  const reply = dec((await nc.request('iob.ingest.web', enc([{ id: 'r1', ts: Date.now(), subject: 'u9', type: 'view', email: 'a@b.example' }, { id: 'r2' }]), { timeout: 5000 })).data);
  assert.equal(reply.accepted, 1);
  assert.equal(reply.rejected, 1);
  assert.deepEqual(reply.results[0].dropped, ['email']);
  assert.equal(reply.results[1].problems[0].path, 'ts');

  await a.waitForSeq(41, 10_000);
  const info = await a.jsm.streams.info(EVENTS_STREAM);
  assert.equal(info.state.messages, 41, 'each published message was handled by exactly one worker');
  assert.equal(a.stats().boundaryMessages + b.stats().boundaryMessages, 11);
  assert.equal(a.features.readRecord('subject', a.pseudonymize('subject', 'u1'))['subject.view_count_1h'], 10);

  const stored = await a.jsm.streams.getMessage(EVENTS_STREAM, { seq: 1 });
  const event = decodeEvent(stored.data);
  assert.equal(stored.subject, `iob.events.${event.sid}`, 'one NATS subject per pseudonymous subject');
  assert.ok(!stored.subject.includes('u0') || event.sid.includes('u0'));

  const malformed = dec((await nc.request('iob.ingest.web', enc('{oops'), { timeout: 5000 })).data);
  assert.equal(malformed.code, 'IOB_ERR_MALFORMED_JSON');
  const tooMany = dec((await nc.request('iob.ingest.web', enc(events.slice(0, 11)), { timeout: 5000 })).data);
  assert.equal(tooMany.code, 'IOB_ERR_BATCH_TOO_LARGE');
});

test('a restarted consumer resumes after the last applied sequence and never applies twice', async (t) => {
  const nats = await startTestNats(t);
  const config = loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: 'p'.repeat(32) });
  const first = await startEngine({ config, log: quiet() });
  await grantPersonalization(first, 'u1');
  const batch = (from: number) => Array.from({ length: 50 }, (_, i) => ({ id: `e${from + i}`, ts: Date.now() - 1000, subject: 'u1', type: 'view' }));
  const r1 = await first.ingest(batch(0));
  await first.waitForSeq(r1.lastSeq);
  assert.equal(first.features.readRecord('subject', first.pseudonymize('subject', 'u1'))['subject.view_count_1h'], 50);
  await first.close();

  const second = await startEngine({ config, log: quiet() });
  defer(t, () => second.close());
  const r2 = await second.ingest(batch(50));
  await second.waitForSeq(r2.lastSeq);
  // The first engine snapshotted on close; the second resumes right after that sequence: exactly 100 views.
  assert.equal(second.features.readRecord('subject', second.pseudonymize('subject', 'u1'))['subject.view_count_1h'], 100);
  assert.equal(second.stats().consumer.lastSeq, 100);
});
