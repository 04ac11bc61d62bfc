/**
 * The online offers state (engine/recent-items.ts) survives a restart from the feature store's snapshot: the
 * restarted engine holds the same recent items and session categories without replaying the stream, keeps
 * appending to them, drops a subject whose personalization was withdrawn while it was down, and still purges
 * on erasure. Real engines against a test nats-server.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, loadConfig, startEngine, type Engine } from '../../engine/index.ts';
import { grantPersonalization } from '../helpers/engine.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

async function ingest(engine: Engine, events: Array<Record<string, unknown>>): Promise<void> {
  const report = await engine.ingest(events);
  assert.equal(report.accepted, events.length);
  await engine.waitForSeq(report.lastSeq, 10_000);
}

test('restart from a snapshot: the same offers state, no replay, appends continue, withdrawal while down and erasure purge', async (t) => {
  const nats = await startTestNats(t);
  const config = loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: 'r'.repeat(32) });
  const first = await startEngine({ config, log: quiet() });
  await grantPersonalization(first, 'ana', 'ben');
  const t0 = Date.now() - 120_000;
  await ingest(first, [
    { id: 'a1', ts: t0, subject: 'ana', session: 's1', type: 'view', item: 'sku-1', category: 'shoes' },
    { id: 'a2', ts: t0 + 1000, subject: 'ana', session: 's1', type: 'cart_add', item: 'sku-2', category: 'socks' },
    { id: 'a3', ts: t0 + 2000, subject: 'ana', type: 'view', item: 'sku-3' },
    { id: 'b1', ts: t0 + 3000, subject: 'ben', session: 's9', type: 'purchase', item: 'sku-9', category: 'bags' },
  ]);
  const ana = first.pseudonymize('subject', 'ana');
  const ben = first.pseudonymize('subject', 'ben');
  const before = { ana: first.recentItems.export(ana), ben: first.recentItems.export(ben) };
  assert.equal(before.ana?.items.length, 3);
  const lastSeq = first.stats().consumer.lastSeq;
  await first.close(); // writes the snapshot at lastSeq

  const second = await startEngine({ config, log: quiet() });
  defer(t, () => second.close());
  // Restored from the snapshot, not replayed: the consumer starts after lastSeq and has applied nothing.
  assert.equal(second.stats().consumer.applied, 0);
  assert.equal(second.features.lastSeq, lastSeq);
  assert.deepEqual(second.recentItems.export(ana), before.ana);
  assert.deepEqual(second.recentItems.export(ben), before.ben);
  // New events extend the restored state (same session key instance as the restored items).
  await ingest(second, [{ id: 'a4', ts: t0 + 4000, subject: 'ana', session: 's1', type: 'view', item: 'sku-4', category: 'shoes' }]);
  const after = second.recentItems.export(ana)!;
  assert.deepEqual(after.items.slice(0, 3), before.ana!.items);
  assert.equal(after.items[3]!.item, 'sku-4');
  assert.equal(after.items[3]!.session, after.items[0]!.session);
  assert.deepEqual(after.sessionCategories[0], ['socks', 'shoes']);
  // Erasure purges the restored state.
  await second.subjects.erase('ana', 'test');
  assert.equal(second.recentItems.export(ana), null);
  await second.close();

  // A withdrawal recorded while no engine consumed (this one only writes consent) is honoured on restore.
  const admin = await startEngine({ config, log: quiet(), consume: false });
  await admin.subjects.updateConsent('ben', { purposes: { personalization: false }, source: 'test' }, 'test');
  await admin.close();
  const third = await startEngine({ config, log: quiet() });
  defer(t, () => third.close());
  assert.equal(third.recentItems.export(ben), null, 'withdrawn while down: not restored');
  assert.equal(third.recentItems.export(ana), null, 'erased: not restored');
});
