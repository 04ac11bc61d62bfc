/**
 * Input fuzzing of the ingest boundary: 100 000 generated events — arbitrary values, and valid events with
 * one field replaced by something hostile (huge or unicode strings, NaN/Infinity, negative and future
 * times, deep nesting, wrong types, prototype keys). The boundary never throws; every rejection names a
 * field and a reason; every acceptance is a clean, pseudonymous stored event.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createBoundary, createPseudonymizer, decodeEvent, encodeEvent, PSEUDONYM_PATTERN, type BoundaryOutcome } from '../../engine/index.ts';
import { BehaviorEventParser, BehaviorEventSchema } from '../../engine/event-schema.ts';
import { hostile, validEvent } from './arbitraries.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const cross = createBoundary({ pseudonymize: createPseudonymizer('f'.repeat(32)), retentionMs: 90 * 86_400_000, maxFutureSkewMs: 300_000, now: () => NOW });

function checkOutcome(outcome: BoundaryOutcome): void {
  if (outcome.ok) {
    const e = outcome.event;
    assert.match(e.sid, PSEUDONYM_PATTERN);
    assert.match(e.eid, PSEUDONYM_PATTERN);
    assert.ok(Number.isFinite(e.ts) && e.ts <= NOW + 300_000, 'a stored time is finite and not in the future');
    assert.ok(e.props === undefined || Object.getPrototypeOf(e.props) === Object.prototype || Object.getPrototypeOf(e.props) === null);
    assert.deepEqual(decodeEvent(encodeEvent(e)), e, 'what is accepted survives the wire format');
    return;
  }
  assert.ok(outcome.problems.length > 0, 'a rejection says why');
  for (const p of outcome.problems) {
    assert.equal(typeof p.path, 'string');
    assert.ok(p.reason.length > 0 && p.message.length > 0, 'each problem has a reason and a message');
    assert.ok(p.path.length <= 512 && p.message.length <= 1024, 'problems stay small whatever came in');
  }
}

test('80 000 valid events with one hostile field: no throw, and a rejection names that field', () => {
  let rejected = 0;
  fc.assert(
    fc.property(validEvent(NOW), fc.constantFrom('id', 'ts', 'subject', 'session', 'type', 'item', 'category', 'price', 'quantity', 'context', 'properties'), hostile(), (event, field, value) => {
      const outcome = cross({ ...event, [field]: value });
      checkOutcome(outcome);
      if (!outcome.ok) {
        rejected++;
        assert.ok(
          outcome.problems.some((p) => p.path === field || p.path.startsWith(`${field}.`)),
          `the problem names ${field}: ${JSON.stringify(outcome.problems)}`,
        );
      }
    }),
    { numRuns: 80_000, seed: 8, includeErrorInReport: true },
  );
  assert.ok(rejected > 10_000, `hostile values are mostly refused (${rejected})`);
});

test('20 000 arbitrary values (objects, arrays, primitives, deep nesting): no throw, a reason each time', () => {
  fc.assert(
    fc.property(fc.anything({ maxDepth: 6, withNullPrototype: true, withObjectString: true, withBigInt: true, withDate: true, withMap: true }), (value) => {
      checkOutcome(cross(value));
    }),
    { numRuns: 20_000, seed: 9, includeErrorInReport: true },
  );
});

test('the compiled event parser the boundary runs agrees with the runtime zod parser: same verdict, data and issues', () => {
  const agree = (value: unknown) => {
    const runtime = BehaviorEventSchema.safeParse(value);
    const compiled = BehaviorEventParser.safeParse(value);
    assert.equal(compiled.success, runtime.success);
    if (runtime.success) assert.deepEqual(compiled.data, runtime.data);
    else assert.deepEqual(compiled.error?.issues, runtime.error.issues);
  };
  fc.assert(
    fc.property(validEvent(NOW), fc.constantFrom('id', 'ts', 'subject', 'session', 'type', 'item', 'category', 'price', 'quantity', 'context', 'properties'), hostile(), (event, field, value) => {
      agree(event);
      agree({ ...event, [field]: value });
    }),
    { numRuns: 20_000, seed: 10, includeErrorInReport: true },
  );
  fc.assert(
    fc.property(fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true, withDate: true, withMap: true }), agree),
    { numRuns: 5_000, seed: 11, includeErrorInReport: true },
  );
});
