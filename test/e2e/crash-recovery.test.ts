/**
 * Kill the engine process (SIGKILL) while it consumes, restart it on the same data dir: after catching
 * up, every subject's and item's features equal those of an uninterrupted consumer of the same stream.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { generateBehavior } from '../../datasets/index.ts';
import { createLogger, loadConfig, startEngine } from '../../engine/index.ts';
import { startEngineProcess, waitUntil } from '../helpers/cli-process.ts';
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
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await (await fetch(`${engine.url}/metrics`)).text())?.[1] ?? -1);
  await waitUntil(async () => (await metric('iob_consumer_last_sequence')) === events.length, 30_000, 'the restarted engine to catch up');

  const reference = await startEngine({
    config: loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: key, consumerName: 'reference' }),
    log: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
  });
  defer(t, () => reference.close());
  await reference.waitForSeq(events.length, 30_000);

  const subjects = [...new Set(events.map((e) => e.subject))];
  let compared = 0;
  for (const subject of subjects) {
    const res = await fetch(`${engine.url}/v1/features/${subject}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const served = ((await res.json()) as { subject: Record<string, number> }).subject;
    const expected = reference.features.readRecord('subject', reference.pseudonymize('subject', subject));
    // last_event_age_s depends on the read time; the rest must match exactly.
    for (const [name, value] of Object.entries(expected)) {
      if (name === 'subject.last_event_age_s') continue;
      assert.equal(served[name], value, `${subject} ${name}`);
    }
    if (expected['subject.view_count_30d']! > 0) compared++;
  }
  assert.ok(compared > subjects.length / 2, `profiles were built and compared (${compared})`);
});
