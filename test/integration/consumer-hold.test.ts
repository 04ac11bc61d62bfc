/**
 * A held stream consumer applies nothing until released (the engine holds its consumer while a snapshot
 * packs with the event loop free), then resumes with everything that arrived meanwhile, in order, once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, loadConfig, startEngine } from '../../engine/index.ts';
import type { Logger } from '../../engine/logger.ts';
import { startStreamConsumer } from '../../engine/stream-consumer.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

/** A real engine on a real nats-server, and a second consumer of its stream recording what it applies. */
async function engineWithRecordingConsumer(t: TestContext, durable: string, options: { batch?: number; log?: Logger } = {}) {
  const nats = await startTestNats(t);
  const engine = await startEngine({ config: loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: durable.padEnd(32, 'k') }), log: quiet() });
  defer(t, () => engine.close());
  const applied: number[] = [];
  let lastSeq = 0;
  const consumer = await startStreamConsumer(engine.js, engine.jsm, {
    durable,
    ...(options.batch ? { batch: options.batch } : {}),
    log: options.log ?? quiet(),
    sink: {
      get lastSeq() {
        return lastSeq;
      },
      apply: (_event, seq) => void applied.push((lastSeq = seq)),
      skip: (seq) => void (lastSeq = seq),
    },
  });
  defer(t, () => consumer.stop());
  return { engine, consumer, applied };
}

test('a held consumer applies nothing until released, then everything that arrived, in order', async (t) => {
  const { engine, consumer, applied } = await engineWithRecordingConsumer(t, 'hold-test');
  const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `h${from + i}`, ts: Date.now() - 1000, subject: 'hal', type: 'view', item: `i${i}` }));

  const first = await engine.ingest(events(0, 5));
  await consumer.waitFor(first.lastSeq);
  assert.equal(applied.length, 5);

  const release = consumer.hold();
  const second = await engine.ingest(events(5, 5));
  await engine.waitForSeq(second.lastSeq); // the engine's own consumer has them: they were delivered
  await sleep(300);
  assert.equal(applied.length, 5, 'nothing applied while held');

  release();
  release(); // a second call changes nothing
  await waitUntil(() => applied.length === 10, 5000, 'the held events to be applied');
  assert.deepEqual(applied, [...applied].sort((a, b) => a - b));
  assert.equal(new Set(applied).size, 10);
});

test('deliveries lost in flight are not acknowledged past: the consumer repositions and applies them, in order', async (t) => {
  const warnings: string[] = [];
  const log = createLogger('warn', new Writable({ write: (c, _e, cb) => (warnings.push(String(c)), cb()) }));
  // One message per pull, so another client's pull on the same durable is served between ours.
  const { engine, consumer, applied } = await engineWithRecordingConsumer(t, 'gap-test', { batch: 1, log });
  const event = (i: number) => ({ id: `g${i}`, ts: Date.now() - 1000, subject: 'gus', type: 'view', item: `i${i}` });
  let last = (await engine.ingest([event(0)])).lastSeq;
  await consumer.waitFor(last);

  // A second client takes deliveries of the same durable and drops them: to the server they were
  // delivered, as deliveries lost with a dropped connection are.
  const thief = await (await engine.js.consumers.get('IOB_EVENTS', 'gap-test')).fetch({ max_messages: 2, expires: 10_000 });
  const stolen: number[] = [];
  const stealing = (async () => {
    for await (const m of thief) stolen.push(m.seq);
  })();
  for (let i = 1; i <= 200 && stolen.length < 2; i++) {
    last = (await engine.ingest([event(i)])).lastSeq;
    await sleep(5);
  }
  await thief.close();
  await stealing;
  assert.ok(stolen.length > 0, 'the scenario happened: another client took deliveries');
  last = (await engine.ingest([event(1000)])).lastSeq;
  await consumer.waitFor(last, 15_000);
  const expected = Array.from({ length: last - applied[0]! + 1 }, (_, i) => applied[0]! + i);
  assert.deepEqual(applied, expected, 'every event applied once, in stream order, the taken ones included');
  assert.ok(warnings.some((w) => w.includes('deliveries lost in flight')), 'the gap was noticed');
});

test('a durable deleted on the server is re-created just past what was applied, and nothing is lost', async (t) => {
  const warnings: string[] = [];
  const log = createLogger('warn', new Writable({ write: (c, _e, cb) => (warnings.push(String(c)), cb()) }));
  const { engine, consumer, applied } = await engineWithRecordingConsumer(t, 'gone-test', { log });
  const event = (i: number) => ({ id: `d${i}`, ts: Date.now() - 1000, subject: 'dora', type: 'view', item: `i${i}` });
  const first = await engine.ingest([event(0), event(1), event(2)]);
  await consumer.waitFor(first.lastSeq);
  await engine.jsm.consumers.delete('IOB_EVENTS', 'gone-test');
  const second = await engine.ingest([event(3), event(4)]);
  await consumer.waitFor(second.lastSeq, 20_000);
  const expected = Array.from({ length: second.lastSeq - applied[0]! + 1 }, (_, i) => applied[0]! + i);
  assert.deepEqual(applied, expected, 'every event applied once, in stream order');
  assert.ok(warnings.some((w) => /consumer missing|re-creating the consumer/.test(w)), 'the loss of the durable was noticed');
});
