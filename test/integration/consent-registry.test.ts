import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { allowedAt, openConsentRegistry } from '../../engine/index.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats } from '../helpers/nats.ts';

test('consent is default-deny, judged at the event time, and reaches another process through the KV watch', async (t) => {
  const nats = await startTestNats(t);
  const ncA = await connect({ servers: nats.url });
  const ncB = await connect({ servers: nats.url });
  defer(t, () => ncA.close());
  defer(t, () => ncB.close());
  const a = await openConsentRegistry(ncA.jetstream());
  const b = await openConsentRegistry(ncB.jetstream());
  defer(t, () => a.close());
  defer(t, () => b.close());
  await Promise.all([a.synced(), b.synced()]);

  const sid = 'AAAAAAAAAAAAAAAAAAAAAA';
  assert.equal(a.allowed(sid, 'personalization'), false, 'no record: no use for a consent-based purpose');
  assert.equal(a.allowed(sid, 'forecasting'), true, 'legitimate interest applies until objected to');

  const t0 = Date.now();
  await a.record(sid, [{ at: t0, purpose: 'personalization', granted: true, source: 'cmp', notice: 'v3', by: 'key-1' }]);
  const seen = Date.now();
  await waitUntil(() => b.allowed(sid, 'personalization'), 1000, 'replica B to see the grant');
  assert.ok(Date.now() - seen < 1000);
  assert.equal(b.allowed(sid, 'personalization', t0 - 1), false, 'events before the grant stay out');

  await b.record(sid, [{ at: t0 + 10_000, purpose: 'personalization', granted: false, source: 'gpc' }]);
  await waitUntil(() => !a.allowed(sid, 'personalization', t0 + 20_000), 1000, 'replica A to see the withdrawal');
  assert.equal(a.allowed(sid, 'personalization', t0 + 5000), true, 'consent held between grant and withdrawal');
  assert.equal(allowedAt(a.get(sid), 'analytics', t0), false);

  const history = await a.history(sid);
  assert.equal(history.length, 2);
  assert.equal(history[1]!.record!.changes.length, 2);

  await a.erase(sid);
  await waitUntil(() => b.get(sid)?.erasedAt !== undefined, 1000, 'the tombstone to reach B');
  assert.deepEqual(b.get(sid)!.changes, []);
  assert.equal(b.allowed(sid, 'personalization', t0 + 5000), false, 'after erasure: default deny');
});
