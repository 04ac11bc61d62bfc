/** Generators shared by the fuzz tests: valid events, and the hostile values that replace their fields. */
import fc from 'fast-check';

const EVENT_TYPES = ['view', 'search', 'cart_add', 'cart_remove', 'purchase'] as const;

/** An event the boundary accepts at time `now`. */
export function validEvent(now: number) {
  return fc.record(
    {
      id: fc.string({ minLength: 1, maxLength: 40 }),
      ts: fc.integer({ min: now - 80 * 86_400_000, max: now }),
      subject: fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.nat()),
      session: fc.string({ minLength: 1, maxLength: 40 }),
      type: fc.constantFrom(...EVENT_TYPES),
      item: fc.string({ minLength: 1, maxLength: 30 }),
      category: fc.string({ minLength: 1, maxLength: 30 }),
      price: fc.double({ min: 0, max: 1e6, noNaN: true }),
      quantity: fc.integer({ min: 1, max: 100 }),
    },
    { requiredKeys: ['id', 'ts', 'subject', 'type'] },
  );
}

function deeplyNested(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
}

/** Values no field should take: wrong types, extremes, huge and strange strings, nesting, prototype keys. */
export function hostile(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, -1, -0.5, 0, 2 ** 53, -(2 ** 53), 1e308, null, true, false, '', ' ', '\u0000', '\uFFFF\uD800'),
    fc.constant('x'.repeat(100_000)),
    fc.constant(deeplyNested(2000)),
    fc.constant(JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}')),
    fc.constant(Object.create(null)),
    fc.constant([1, 2, 3]),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.integer({ min: Date.now() + 86_400_000, max: Date.now() + 1e12 }),
    fc.constant(new Date().toISOString().replace('Z', '')),
    fc.constant('2026-13-45T99:99:99Z'),
    fc.anything({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 80 }), fc.anything({ maxDepth: 2 }), { maxKeys: 80 }),
  );
}

/** A JSON text that may be broken: truncated, mistyped, or valid with hostile values. */
export function jsonBody(now: number): fc.Arbitrary<string> {
  const valid = validEvent(now);
  return fc.oneof(
    fc.record({ events: fc.array(valid, { maxLength: 5 }) }).map((b) => JSON.stringify(b)),
    fc.tuple(fc.record({ events: fc.array(valid, { minLength: 1, maxLength: 3 }) }), fc.nat()).map(([b, cut]) => {
      const s = JSON.stringify(b);
      return s.slice(0, cut % s.length);
    }),
    fc.anything({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'undefined'),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constant('{"events":[' + '['.repeat(50_000) + ']'.repeat(50_000) + ']}'),
    fc.constant('{"events":[' + '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000) + ']}'),
    fc.constant('{"purposes":{"personalization":"yes"},"source":1}'),
    fc.constant('{"__proto__":{"admin":true}}'),
  );
}
