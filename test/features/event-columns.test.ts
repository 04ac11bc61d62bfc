/**
 * Event columns (what batch builds hold a file in) give back every event as it went in, keep each id string
 * once, and sessionize exactly like a plain per-key reference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assignSessions, EventColumns, EVENT_TYPES, sessionKey, type FeatureEvent } from '../../engine/index.ts';

const MINUTE = 60_000;

const eventArb: fc.Arbitrary<FeatureEvent> = fc.record(
  {
    ts: fc.integer({ min: 0, max: 6 * 60 * MINUTE }),
    sid: fc.constantFrom('s1', 's2', 's3', 'é-4'),
    type: fc.constantFrom(...EVENT_TYPES),
    ssid: fc.constantFrom('k1', 'k2', 'k3', ''),
    item: fc.constantFrom('i1', 'i2', ''),
    category: fc.constantFrom('c1', 'c2'),
    price: fc.double({ min: 0, max: 1000, noNaN: true }),
    quantity: fc.integer({ min: 1, max: 5 }),
  },
  { requiredKeys: ['ts', 'sid', 'type'] },
);

/** A FeatureEvent with every optional field present (undefined when absent): what eventAt writes. */
const complete = (e: FeatureEvent): FeatureEvent => ({
  ts: e.ts,
  sid: e.sid,
  type: e.type,
  ssid: e.ssid === '' ? undefined : e.ssid,
  item: e.item,
  category: e.category,
  price: e.price,
  quantity: e.quantity,
});

test('every event comes back as it went in (an empty session id reads as none, as sessionKey takes it)', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 200 }), (events) => {
      const columns = EventColumns.from(events);
      assert.equal(columns.length, events.length);
      events.forEach((e, i) => {
        assert.deepEqual(columns.eventAt(i), complete(e));
        assert.equal(columns.subjectAt(i), e.sid);
        assert.equal(columns.typeAt(i), e.type);
        assert.equal(sessionKey(columns.subjectAt(i), columns.sessionAt(i)), sessionKey(e.sid, e.ssid));
      });
    }),
  );
});

test('each distinct id string is kept once, and an event costs 41 bytes of columns', () => {
  const columns = new EventColumns(16);
  for (let i = 0; i < 10_000; i++) columns.push({ ts: i, sid: `s${i % 3}`, ssid: `k${i % 7}`, type: 'view', item: `i${i % 11}`, category: 'c' });
  assert.deepEqual([columns.subjects.size, columns.sessions.size, columns.items.size, columns.categories.size], [3, 7, 11, 1]);
  assert.equal(columns.columnBytes / columns.ts.length, 41);
  assert.ok(columns.ts.length >= 10_000 && columns.ts.length < 20_000, 'columns grow by doubling');
});

test('filter keeps the accepted events in order', () => {
  const events: FeatureEvent[] = Array.from({ length: 50 }, (_, i) => ({ ts: i, sid: `s${i % 4}`, type: i % 5 ? 'view' : 'purchase', price: i }));
  const kept = EventColumns.from(events).filter((i) => i % 3 === 0);
  assert.deepEqual(
    Array.from({ length: kept.length }, (_, i) => kept.eventAt(i)),
    events.filter((_, i) => i % 3 === 0).map(complete),
  );
});

/** Per session key, events in time order (ties: input order), a new session after a gap; keys in first-seen order. */
function referenceSessions(events: readonly FeatureEvent[], gapMs: number) {
  const byKey = new Map<string, number[]>();
  events.forEach((e, i) => {
    const key = sessionKey(e.sid, e.ssid);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  const session = new Int32Array(events.length);
  const start: number[] = [];
  const end: number[] = [];
  const key: string[] = [];
  for (const [k, list] of byKey) {
    list.sort((a, b) => events[a]!.ts - events[b]!.ts || a - b);
    let last = -Infinity;
    for (const i of list) {
      const ts = events[i]!.ts;
      if (ts > last + gapMs) {
        start.push(ts);
        end.push(ts);
        key.push(k);
      }
      end[end.length - 1] = ts;
      session[i] = start.length - 1;
      last = ts;
    }
  }
  return { session, start: Float64Array.from(start), end: Float64Array.from(end), key };
}

test('assignSessions equals the per-key reference on random, out-of-order events', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 120 }), fc.constantFrom(5 * MINUTE, 30 * MINUTE), (events, gap) => {
      const { order, ...assigned } = assignSessions(EventColumns.from(events), gap);
      const reference = referenceSessions(events, gap);
      assert.deepEqual(assigned, reference);
      // `order`: every event once, each session's events consecutive, in time order (ties: input order)
      assert.deepEqual([...order].sort((a, b) => a - b), events.map((_, i) => i));
      const seen = new Set<number>();
      for (let p = 0; p < order.length; p++) {
        const i = order[p]!;
        const s = reference.session[i]!;
        const previous = p > 0 ? order[p - 1]! : -1;
        if (previous >= 0 && reference.session[previous] === s) {
          assert.ok(events[previous]!.ts < events[i]!.ts || (events[previous]!.ts === events[i]!.ts && previous < i), 'time order within a session');
        } else {
          assert.ok(!seen.has(s), `session ${s} in one run`);
          seen.add(s);
        }
      }
    }),
  );
});
