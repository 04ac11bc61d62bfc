import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, headers, StorageType } from 'nats';
import { createJetStreamPublisher, PublishError } from '../../engine/index.ts';
import { parsePubAck, PUB_ACK } from '../../engine/jetstream-publisher.ts';
import { defer, startTestNats } from '../helpers/nats.ts';

test('pipelined publisher: Nats-Msg-Id dedupes, Nats-Expected-Stream guards, no stream answers no_responders', async (t) => {
  const server = await startTestNats(t);
  const nc = await connect({ servers: server.url });
  defer(t, () => nc.close());
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'PUB_A', subjects: ['pub.a.*'], storage: StorageType.Memory, duplicate_window: 60_000_000_000 });
  await jsm.streams.add({ name: 'PUB_B', subjects: ['pub.b.*'], storage: StorageType.Memory });
  const publisher = createJetStreamPublisher(nc, 2000);
  defer(t, () => publisher.close());
  const data = new Uint8Array([1, 2, 3]);

  const first = await publisher.publish('pub.a.x', data, { msgId: 'm-1', expectStream: 'PUB_A' });
  assert.deepEqual(first, { stream: 'PUB_A', seq: 1, duplicate: false });
  const again = await publisher.publish('pub.a.y', data, { msgId: 'm-1', expectStream: 'PUB_A' });
  assert.deepEqual(again, { stream: 'PUB_A', seq: 1, duplicate: true }, 'the same id within the window is a duplicate of the stored one');
  const other = await publisher.publish('pub.a.x', data, { msgId: 'm-2' });
  assert.equal(other.seq, 2);
  assert.equal((await publisher.publish('pub.a.x', data)).seq, 3, 'no headers at all is a plain publish');

  // The header reached the server: the stored message carries it.
  const stored = await jsm.streams.getMessage('PUB_A', { seq: 1 });
  assert.equal(stored.header.get('Nats-Msg-Id'), 'm-1');

  await assert.rejects(publisher.publish('pub.b.x', data, { msgId: 'm-3', expectStream: 'PUB_A' }), (err: unknown) => {
    assert.ok(err instanceof PublishError);
    assert.equal(err.reason, 'rejected', 'a stream other than the expected one refuses the message');
    return true;
  });
  assert.equal((await jsm.streams.info('PUB_B')).state.messages, 0);

  await assert.rejects(publisher.publish('nowhere.x', data, { msgId: 'm-4' }), (err: unknown) => err instanceof PublishError && err.reason === 'no_responders');
  await assert.rejects(publisher.publish('pub.a.x', data, { msgId: 'bad\r\nNats-Expected-Stream: X' }), /\\r and \\n are not allowed/);
  assert.equal(publisher.inflight, 0);

  // The acks this server writes are the shape the publisher reads with its pattern, not JSON.parse (the
  // pattern lacked the space after the comma until session 12, and every ack took the slow path).
  for (const duplicate of [false, true]) {
    const h = headers();
    h.set('Nats-Msg-Id', 'm-raw');
    const reply = await nc.request('pub.a.raw', data, { headers: h, timeout: 2000 });
    const text = new TextDecoder().decode(reply.data);
    assert.match(text, PUB_ACK, `the server's ack: ${text}`);
    assert.deepEqual(parsePubAck(text), { stream: 'PUB_A', seq: 4, duplicate });
  }
  // The pattern reads what JSON.parse reads, with or without the spaces.
  for (const text of ['{"stream":"S","seq":7}', '{"stream":"S", "seq":7,"duplicate": true}', '{"stream":"S", "domain":"hub", "seq":7}', '{"stream":"S","seq":7,"duplicate":true}']) {
    assert.match(text, PUB_ACK);
    const body = JSON.parse(text) as { stream: string; seq: number; duplicate?: boolean };
    assert.deepEqual(parsePubAck(text), { stream: body.stream, seq: body.seq, duplicate: Boolean(body.duplicate) }, text);
  }
});
