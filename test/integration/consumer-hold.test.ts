/**
 * A held stream consumer applies nothing until released (the engine holds its consumer while a snapshot
 * packs with the event loop free), then resumes with everything that arrived meanwhile, in order, once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, loadConfig, startEngine } from '../../engine/index.ts';
import { startStreamConsumer } from '../../engine/stream-consumer.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

test('a held consumer applies nothing until released, then everything that arrived, in order', async (t) => {
  const nats = await startTestNats(t);
  const engine = await startEngine({ config: loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: 'h'.repeat(32) }), log: quiet() });
  defer(t, () => engine.close());
  const applied: number[] = [];
  let lastSeq = 0;
  const consumer = await startStreamConsumer(engine.js, engine.jsm, {
    durable: 'hold-test',
    log: quiet(),
    sink: {
      get lastSeq() {
        return lastSeq;
      },
      apply: (_event, seq) => void applied.push((lastSeq = seq)),
      skip: (seq) => void (lastSeq = seq),
    },
  });
  defer(t, () => consumer.stop());
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
