/**
 * The stored event's reader against msgpackr's, its reference: the same object back for every event the
 * boundary accepts (fuzzed, with contexts and properties), at every number and string encoding boundary,
 * and for anything else msgpack can hold (which the reader hands to msgpackr) — or the same failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { createBoundary, createPseudonymizer, decodeEvent, encodeEvent, type StoredEvent } from '../../engine/index.ts';
import { validEvent } from '../fuzz/arbitraries.ts';

const reference = new Packr({ useRecords: false, moreTypes: false });
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const cross = createBoundary({ pseudonymize: createPseudonymizer('w'.repeat(32)), retentionMs: 90 * 86_400_000, maxFutureSkewMs: 300_000, now: () => NOW });

const context = fc.record(
  {
    channel: fc.string({ maxLength: 32 }),
    device: fc.string({ unit: 'grapheme', maxLength: 8 }),
    geo: fc.oneof(fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) }), fc.constant('u33dc')),
    referrer: fc.webUrl(),
  },
  { requiredKeys: [] },
);
const properties = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 64 }),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 20 },
);

function sameObject(actual: unknown, expected: unknown) {
  assert.deepStrictEqual(actual, expected);
  assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected));
}

/** decodeEvent gives what msgpackr gives, or throws where msgpackr throws. */
function readsAlike(bytes: Uint8Array, what: string) {
  let expected: unknown;
  let failed = false;
  try {
    expected = reference.unpack(bytes);
  } catch {
    failed = true;
  }
  if (failed) assert.throws(() => decodeEvent(bytes), what);
  else sameObject(decodeEvent(bytes), expected);
}

test('every accepted event reads back as msgpackr reads it', () => {
  let checked = 0;
  fc.assert(
    fc.property(validEvent(NOW), fc.option(context), fc.option(properties), (event, ctx, props) => {
      const outcome = cross({ ...event, ...(ctx ? { context: ctx } : {}), ...(props ? { properties: props } : {}) });
      if (!outcome.ok) return;
      const bytes = encodeEvent(outcome.event);
      sameObject(decodeEvent(bytes), reference.unpack(bytes));
      checked++;
    }),
    { numRuns: 20_000, seed: 29 },
  );
  assert.ok(checked > 15_000, `most generated events are accepted (${checked})`);
});

test('numbers at every encoding boundary, long and non-ASCII text', () => {
  const numbers = [0, -0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 0.5, 1e-300, 1e300, Number.MAX_VALUE];
  const texts = ['', 'a'.repeat(31), 'a'.repeat(32), 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(70_000), 'é', 'é'.repeat(16), '€'.repeat(11), '😀 emoji', '\u0000nul'];
  for (const n of numbers) {
    for (const t of texts) {
      const event = { eid: 'e', ts: n, sid: 's', type: 'view', item: t, props: { n, t }, rt: n } as unknown as StoredEvent;
      readsAlike(encodeEvent(event), `number ${n}, text of ${t.length}`);
    }
  }
});

test('what is not the flat event shape is read by msgpackr', () => {
  const odd: unknown[] = [
    { eid: 'e', props: Object.assign(Object.create(null), { a: 1 }) }, // no prototype
    { eid: 'e', props: { deep: { er: 1 } } }, // nested past ctx/props
    { eid: 'e', list: [1, 2, 3] },
    { eid: 'e', when: new Date(0) },
    { eid: 'e', big: 2n ** 40n },
    { eid: 'e', lone: '\uD800' },
    Object.assign(Object.create(null), { eid: 'e' }),
  ];
  odd.forEach((value, i) => readsAlike(encodeEvent(value as StoredEvent), `odd event ${i}`));
  // Written by someone else: a __proto__ key, a map with trailing bytes, float32, 64-bit integers, arrays.
  const foreign = [
    reference.pack(JSON.parse('{"eid":"e","__proto__":1}')),
    Buffer.concat([reference.pack({ eid: 'e' }), Buffer.from([0xc0])]),
    Buffer.from([0x81, 0xa1, 0x66, 0xca, 0x3f, 0xc0, 0x00, 0x00]), // {f: 1.5 as float32}
    Buffer.from([0x81, 0xa1, 0x75, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0]), // {u: 2^32 as uint64}
    reference.pack({ eid: 'e', a: [1, { b: 2 }] }),
    reference.pack([1, 2]),
    reference.pack('text'),
  ];
  foreign.forEach((bytes, i) => readsAlike(bytes, `foreign message ${i}`));
});

test('a truncated message reads as msgpackr reads it, or fails where it fails', () => {
  const bytes = encodeEvent({ eid: 'e'.repeat(22), ts: NOW, sid: 's'.repeat(22), type: 'view', item: 'sku-1', price: 9.99, rt: NOW });
  for (let cut = 0; cut < bytes.length; cut++) readsAlike(bytes.slice(0, cut), `cut at ${cut}`);
});
