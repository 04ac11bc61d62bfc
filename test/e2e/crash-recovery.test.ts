/**
 * Kill the engine process (SIGKILL) while it consumes, restart it on the same data dir: after catching
 * up, every subject's, session's, item's and category's features equal those of an uninterrupted consumer
 * of the same stream. The second test is the CI size of `npm run bench -- recovery` (bench/recovery.bench.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCrashRecovery } from '../../bench/recovery.bench.ts';
import { generateBehavior } from '../../datasets/index.ts';
import { createLogger, loadConfig, readSnapshot, startEngine } from '../../engine/index.ts';
import { readMetric, startEngineProcess, waitUntil } from '../helpers/cli-process.ts';
import { compareStores } from '../helpers/feature-parity.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

test('a consumer killed mid-stream and restarted ends with the features of an uninterrupted run', async (t) => {
  const nats = await startTestNats(t);
  const key = 'k'.repeat(32);
  const apiKey = 'crash-test-key-0123456789';
  const env = {
    NATS_URL: nats.url,
    IOB_DATA_DIR: tempDir(t),
    IOB_PORT: '0',
    IOB_PSEUDONYM_KEY: key,
    IOB_SNAPSHOT_INTERVAL_MS: '1000',
    IOB_API_KEYS: JSON.stringify([{ id: 'test', key: apiKey, scopes: ['admin'] }]),
  };
  const events = [...generateBehavior({ subjects: 300, days: 3, seed: 11, end: Date.now() - 60_000 })];
  const post = async (url: string, batch: unknown[]) => {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ events: batch }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { accepted: number };
  };

  let engine = await startEngineProcess([], env);
  defer(t, () => engine.child.kill('SIGKILL'));
  // Profiles need consent: grant personalization to every subject (from the epoch) before the events.
  for (const subject of new Set(events.map((e) => e.subject))) {
    const res = await fetch(`${engine.url}/v1/consent/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ purposes: { personalization: true }, source: 'test', at: 0 }),
    });
    assert.equal(res.status, 200);
  }
  const half = Math.floor(events.length / 2);
  for (let i = 0; i < half; i += 500) await post(engine.url, events.slice(i, Math.min(i + 500, half)));
  await new Promise((r) => setTimeout(r, 1500)); // let at least one periodic snapshot land
  for (let i = half; i < events.length; i += 500) await post(engine.url, events.slice(i, i + 500));
  engine.child.kill('SIGKILL');
  await engine.exited;

  engine = await startEngineProcess([], env);
  await waitUntil(async () => (await readMetric(engine.url, 'iob_consumer_last_sequence')) === events.length, 30_000, 'the restarted engine to catch up');
  assert.match(engine.output(), /feature store restored from snapshot/, 'the restart resumed from a periodic snapshot');
  // SIGTERM writes the final snapshot: the state compared, every entity at one fixed time.
  engine.child.kill('SIGTERM');
  assert.equal(await engine.exited, 0);
  const restarted = await readSnapshot(join(env.IOB_DATA_DIR, 'snapshots', 'features.msgpack'));
  assert.ok(restarted, 'a snapshot was written on SIGTERM');

  const reference = await startEngine({
    config: loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: key, consumerName: 'reference' }),
    log: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
  });
  defer(t, () => reference.close());
  await reference.waitForSeq(events.length, 30_000);

  const parity = compareStores(restarted, reference.features);
  assert.deepEqual(parity.mismatches, []);
  assert.equal(parity.lost, 0);
  assert.equal(parity.doubleCounted, 0);
  const subjects = new Set(events.map((e) => e.subject)).size;
  assert.ok(parity.profiles > subjects / 2, `profiles were built and compared (${parity.profiles} of ${subjects})`);
});

test('recovery bench at CI size: SIGKILL 3 times while consuming a live stream, no event lost or double-counted, features equal', async () => {
  const r = await runCrashRecovery({ events: 4000, kills: 3, publishRate: 400, seed: 5, timeoutMs: 60_000 });
  assert.equal(r.kills, 3);
  assert.equal(r.streamLastSeq, 4000);
  assert.ok(r.restarts.some((x) => x.restoredSeq > 0), 'some restart resumed from a snapshot, not from the start');
  for (const x of r.restarts) assert.ok(x.restoredSeq <= x.headAtRestart, `resumed at ${x.restoredSeq}, stream at ${x.headAtRestart}`);
  assert.equal(r.exitCode, 0, 'SIGTERM exits 0');
  assert.equal(r.snapshotSeq, r.streamLastSeq, 'the final snapshot covers the whole stream');
  assert.deepEqual(r.parity.mismatches, []);
  assert.equal(r.parity.lost, 0);
  assert.equal(r.parity.doubleCounted, 0);
  assert.deepEqual(r.applied, { restarted: r.applied.reference, reference: r.applied.reference });
  assert.ok(r.parity.profiles > 100 && r.parity.compared.item > 100, `profiles and items compared (${r.parity.profiles}, ${r.parity.compared.item})`);
});
