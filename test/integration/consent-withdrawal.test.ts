import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger, loadConfig, startEngine } from '../../engine/index.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

test('withdrawing personalization purges the subject profile on every engine within 1 s', async (t) => {
  const nats = await startTestNats(t);
  const common = { natsUrl: nats.url, pseudonymKey: 'w'.repeat(32) };
  const a = await startEngine({ config: loadConfig({}, { ...common, dataDir: tempDir(t), consumerName: 'engine-a' }), log: quiet() });
  defer(t, () => a.close());
  const b = await startEngine({ config: loadConfig({}, { ...common, dataDir: tempDir(t), consumerName: 'engine-b' }), log: quiet() });
  defer(t, () => b.close());

  await a.subjects.updateConsent('ada', { purposes: { personalization: true }, source: 'cmp', at: Date.now() - 60_000 }, 'test');
  await waitUntil(() => b.consent.allowed(a.pseudonymize('subject', 'ada'), 'personalization'), 1000, 'B to see the grant');
  const report = await a.ingest(Array.from({ length: 5 }, (_, i) => ({ id: `w${i}`, ts: Date.now() - 1000, subject: 'ada', type: 'view', item: `i${i}` })));
  await Promise.all([a.waitForSeq(report.lastSeq), b.waitForSeq(report.lastSeq)]);
  const sid = a.pseudonymize('subject', 'ada');
  assert.equal(a.features.readRecord('subject', sid)['subject.view_count_1h'], 5);
  assert.equal(b.features.readRecord('subject', sid)['subject.view_count_1h'], 5);

  const withdrawn = Date.now();
  await a.subjects.updateConsent('ada', { purposes: { personalization: false }, source: 'app' }, 'test');
  await waitUntil(() => a.features.readRecord('subject', sid)['subject.view_count_1h'] === 0, 1000, 'engine A to purge');
  await waitUntil(() => b.features.readRecord('subject', sid)['subject.view_count_1h'] === 0, 1000, 'engine B to purge');
  assert.ok(Date.now() - withdrawn < 1000, 'both replicas purged within 1 s of the withdrawal');
  assert.equal(b.consent.allowed(sid, 'personalization'), false);
});

test('default deny: without consent at the event time, events build no profile and no analytics aggregate', async (t) => {
  const nats = await startTestNats(t);
  const engine = await startEngine({ config: loadConfig({}, { natsUrl: nats.url, pseudonymKey: 'w'.repeat(32), dataDir: tempDir(t) }), log: quiet() });
  defer(t, () => engine.close());
  const now = Date.now();
  const ev = (id: string, subject: string, ts: number) => ({ id, ts, subject, type: 'view', item: 'shared-item' });
  // bob grants at now-30 s: his event at now-60 s stays out of his profile, the one at now-10 s counts.
  await engine.subjects.updateConsent('bob', { purposes: { personalization: true }, source: 'cmp', at: now - 30_000 }, 'test');
  const report = await engine.ingest([ev('n1', 'nobody', now - 20_000), ev('b1', 'bob', now - 60_000), ev('b2', 'bob', now - 10_000)]);
  await engine.waitForSeq(report.lastSeq);
  const read = (s: string) => engine.features.readRecord('subject', engine.pseudonymize('subject', s))['subject.view_count_1h'];
  assert.equal(read('nobody'), 0, 'no record: no profile');
  assert.equal(read('bob'), 1, 'only the event after the grant');
  assert.equal(engine.features.readRecord('item', 'shared-item')['item.view_count_24h'], 0, 'item popularity serves analytics, which nobody granted');
});
