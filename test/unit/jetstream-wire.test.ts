/**
 * The publisher's wire shortcuts against the plain text they replace: publish headers put together from
 * bytes equal the header block written as text, and acks read from bytes equal acks read from their text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jetStreamHeaders, parsePubAck, readPubAck } from '../../engine/jetstream-publisher.ts';

/** The header block as text, as the publisher wrote it before (and nats.js would). */
function headerText(msgId?: string, expectStream?: string): string | undefined {
  if (!msgId && !expectStream) return undefined;
  let text = 'NATS/1.0\r\n';
  if (msgId) text += `Nats-Msg-Id: ${msgId.trim()}\r\n`;
  if (expectStream) text += `Nats-Expected-Stream: ${expectStream.trim()}\r\n`;
  return `${text}\r\n`;
}

const bytesOf = (h: ReturnType<typeof jetStreamHeaders>) => (h === undefined ? undefined : Buffer.from((h as unknown as { encode(): Uint8Array }).encode()).toString('utf8'));

test('publish headers from bytes equal the header block written as text', () => {
  const ids = ['', 'e', 'AbCdEfGhIjKlMnOpQrStUv', ' padded ', 'é-non-ascii', '😀', 'x'.repeat(300)];
  for (const msgId of [undefined, ...ids]) {
    for (const expectStream of [undefined, '', '  ', 'IOB_EVENTS', 'OTHER']) {
      assert.equal(bytesOf(jetStreamHeaders({ msgId, expectStream })), headerText(msgId, expectStream), `msgId ${JSON.stringify(msgId)}, stream ${String(expectStream)}`);
    }
  }
  fc.assert(
    fc.property(fc.option(fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !/[\r\n]/.test(s)), { nil: undefined }), fc.option(fc.constantFrom('IOB_EVENTS', 'S'), { nil: undefined }), (msgId, expectStream) => {
      assert.equal(bytesOf(jetStreamHeaders({ msgId, expectStream })), headerText(msgId, expectStream));
    }),
    { numRuns: 2_000, seed: 12 },
  );
  assert.throws(() => jetStreamHeaders({ msgId: 'a\r\nInjected: 1' }), /\\r and \\n are not allowed/);
});

test('acks read from bytes equal acks read from their text, the usual shape and every other', () => {
  const texts = [
    '{"stream":"IOB_EVENTS","seq":1}',
    '{"stream":"IOB_EVENTS","seq":123456789}',
    '{"stream":"IOB_EVENTS","seq":42,"duplicate":true}',
    '{"stream":"OTHER","seq":7}',
    '{"stream":"IOB_EVENTS","domain":"hub","seq":9}',
    '{"stream":"IOB_EVENTS", "seq":9}',
    '{"stream":"IOB_EVENTS","seq":9,"duplicate":false}',
    '{"stream":"IOB_EVENTS","seq":}',
    '{"stream":"","seq":1}',
    '{"stream":"a\\"b","seq":1}',
    '{"error":{"code":503,"err_code":10060,"description":"expected stream does not match"}}',
    '{"stream":"IOB_EVENTS","seq":1}x',
    '{"stream":"IOB_EVENTS","seq":99999999999999999}',
    '',
    'not json',
  ];
  for (const text of texts) assert.deepEqual(readPubAck(new TextEncoder().encode(text)), parsePubAck(text), text);
  fc.assert(
    fc.property(fc.constantFrom('IOB_EVENTS', 'S', 'é'), fc.nat({ max: 2 ** 52 }), fc.boolean(), (stream, seq, duplicate) => {
      const text = `{"stream":"${stream}","seq":${seq}${duplicate ? ',"duplicate":true' : ''}}`;
      assert.deepEqual(readPubAck(new TextEncoder().encode(text)), parsePubAck(text), text);
    }),
    { numRuns: 2_000, seed: 12 },
  );
});
