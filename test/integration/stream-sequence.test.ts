import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsMsg } from 'nats';
import { deliverySequences } from '../../engine/stream-consumer.ts';

const streamSequence = (m: JsMsg) => deliverySequences(m).stream;

/** A message as nats.js delivers it: the ack subject in `reply`, and its own parse behind `seq`. */
const msg = (reply: string, fallback = -1) => ({ reply, seq: fallback }) as unknown as JsMsg;

test('stream sequence read from both ack subject layouts', () => {
  assert.equal(streamSequence(msg('$JS.ACK.IOB_EVENTS.iob-engine.1.12345.12001.1732860000000000000.7')), 12345);
  assert.equal(streamSequence(msg('$JS.ACK._.ACCHASH.IOB_EVENTS.iob-engine.3.9007199254740991.5.1732860000000000000.0.Xy12')), 9007199254740991);
  assert.equal(streamSequence(msg('$JS.ACK.hub.ACCHASH.IOB_EVENTS.c.1.77.5.1732860000000000000.0')), 77, 'a domain, no trailing token');
  assert.deepEqual({ ...deliverySequences(msg('$JS.ACK.IOB_EVENTS.iob-engine.1.12345.12001.1732860000000000000.7')) }, { stream: 12345, consumer: 12001 });
  assert.deepEqual({ ...deliverySequences(msg('$JS.ACK._.ACCHASH.IOB_EVENTS.iob-engine.3.98.5.1732860000000000000.0.Xy12')) }, { stream: 98, consumer: 5 });
});

test('anything unexpected falls back to nats.js', () => {
  assert.equal(streamSequence(msg('_INBOX.abc.def', 42)), 42);
  assert.equal(streamSequence(msg('$JS.ACK.S.C.1.12x.5.1.0', 43)), 43, 'a non-numeric sequence');
  assert.equal(streamSequence(msg('$JS.ACK.S.C.1.5', 44)), 44, 'too few tokens');
  assert.equal(streamSequence({ seq: 45 } as unknown as JsMsg), 45, 'no reply subject');
});

test('agrees with nats.js on messages a real server delivers', async (t) => {
  const { connect, AckPolicy, StorageType } = await import('nats');
  const { defer, startTestNats } = await import('../helpers/nats.ts');
  const server = await startTestNats(t);
  const nc = await connect({ servers: server.url });
  defer(t, () => nc.close());
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'SEQ', subjects: ['seq.*'], storage: StorageType.Memory });
  const js = nc.jetstream();
  for (let i = 0; i < 30; i++) await js.publish(`seq.${i % 3}`, new Uint8Array([i]));
  await jsm.consumers.add('SEQ', { durable_name: 'c', ack_policy: AckPolicy.All, filter_subject: 'seq.1' });
  const messages = await (await js.consumers.get('SEQ', 'c')).fetch({ max_messages: 10, expires: 2000 });
  const seen: number[] = [];
  for await (const m of messages) {
    const { stream, consumer } = deliverySequences(m);
    assert.equal(stream, m.info.streamSequence);
    assert.equal(consumer, m.info.deliverySequence);
    seen.push(stream);
  }
  assert.deepEqual(seen, [2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
});
