/**
 * Point-in-time rows: each label's row equals the reference computed from the events at or before the
 * label's time, in label order, and no row changes when events after its time change.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildPointInTimeRows, DEFAULT_HISTORIES, DEFAULT_VIEWS, FeatureStore, sessionKey, type FeatureEvent, type LabelRow } from '../../engine/index.ts';
import { ReferenceStore } from './reference.ts';
import { HOUR, MINUTE, streamArb, type StreamCase } from './streams.ts';

const eventsOf = (c: StreamCase) => c.steps.flatMap((s) => (s.kind === 'event' ? [s.event] : []));

const labelsArb = (c: StreamCase) => {
  const events = eventsOf(c);
  const times = events.map((e) => e.ts);
  const lo = Math.min(...times) - HOUR;
  const hi = Math.max(...times) + 2 * HOUR;
  return fc.array(
    fc.record({
      ts: fc.oneof(fc.constantFrom(...times), fc.constantFrom(...times).map((t) => t - 1), fc.integer({ min: lo, max: hi })),
      subject: fc.constantFrom(...c.subjects, 'unknown'),
      session: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
      item: fc.option(fc.constantFrom(...c.items, 'unknown'), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 12 },
  ).map((raw) =>
    raw.map((r): LabelRow => ({ subject: r.subject, ts: r.ts, ...(r.session ? { session: `${r.subject}-k${r.session}` } : {}), ...(r.item ? { item: r.item } : {}) })),
  );
};

/** The reference row: events at or before the label time, in time order (stable), read at the label time. */
function referenceRow(events: readonly FeatureEvent[], label: LabelRow): number[] {
  const ref = new ReferenceStore({ views: DEFAULT_VIEWS, histories: DEFAULT_HISTORIES, latenessMs: HOUR, gapMs: 30 * MINUTE });
  const past = events.map((e, i) => ({ e, i })).filter(({ e }) => e.ts <= label.ts).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i);
  past.forEach(({ e }, k) => ref.apply(e, k + 1));
  let category: string | undefined;
  for (const { e } of past) if (label.item && e.item === label.item && e.category) category = e.category;
  return [
    ...ref.read('subject', label.subject, label.ts),
    ...ref.read('session', sessionKey(label.subject, label.session), label.ts),
    ...(label.item ? ref.read('item', label.item, label.ts) : ref.names('item').map(() => 0)),
    ...(category ? ref.read('category', category, label.ts) : ref.names('category').map(() => 0)),
  ];
}

test('every training row equals the reference at its label time, in label order', () => {
  fc.assert(
    fc.property(
      streamArb({ maxEvents: 50 }).chain((c) => fc.tuple(fc.constant(c), labelsArb(c))),
      ([c, labels]) => {
        const events = eventsOf(c);
        const rows = buildPointInTimeRows(events, labels);
        assert.equal(rows.rows, labels.length);
        assert.deepEqual(rows.columns, ['subject', 'session', 'item', 'category'].flatMap((e) => new FeatureStore().featureNames(e)));
        labels.forEach((label, i) => {
          const want = referenceRow(events, label);
          const got = Array.from(rows.row(i));
          const diff = rows.columns.flatMap((n, j) => (Object.is(got[j], want[j]) ? [] : [`${n}: built ${got[j]} reference ${want[j]}`]));
          assert.deepEqual(diff, [], `label ${i} ${JSON.stringify(label)}`);
        });
      },
    ),
    { numRuns: 100 },
  );
});

test('a row never depends on events after its label time', () => {
  fc.assert(
    fc.property(
      streamArb({ maxEvents: 40 }).chain((c) => fc.tuple(fc.constant(c), labelsArb(c), fc.array(fc.integer({ min: 1, max: 3 * HOUR }), { maxLength: 8 }))),
      ([c, labels, futureOffsets]) => {
        const events = eventsOf(c);
        const all = buildPointInTimeRows(events, labels);
        labels.forEach((label, i) => {
          // drop everything after the label, and add other events after it: the row stays the same
          const future = futureOffsets.map((d, k): FeatureEvent => ({ ts: label.ts + d, sid: label.subject, ssid: label.session, type: k % 2 ? 'purchase' : 'view', item: label.item ?? 'x', category: 'c0', price: 5 }));
          const alone = buildPointInTimeRows([...events.filter((e) => e.ts <= label.ts), ...future], [label]);
          assert.deepEqual(Array.from(alone.row(0)), Array.from(all.row(i)), `label ${i}`);
        });
      },
    ),
    { numRuns: 60 },
  );
});

test('the online store fed in time order serves the same values at the label time', () => {
  const t0 = Date.UTC(2024, 1, 1, 12);
  const events: FeatureEvent[] = [
    { ts: t0 + 5 * MINUTE, sid: 'a', type: 'view', item: 'i', category: 'c' },
    { ts: t0, sid: 'a', type: 'cart_add', item: 'i', category: 'c', price: 3 },
    { ts: t0 + 2 * HOUR, sid: 'a', type: 'purchase', item: 'i', category: 'c', price: 3 },
  ];
  const labels: LabelRow[] = [
    { subject: 'a', ts: t0 + HOUR, item: 'i' },
    { subject: 'a', ts: t0 + 5 * MINUTE, item: 'i' },
    { subject: 'nobody', ts: t0 + HOUR },
  ];
  const rows = buildPointInTimeRows(events, labels);
  const online = new FeatureStore();
  online.apply(events[1]!, 1);
  online.apply(events[0]!, 2);
  const at = t0 + HOUR;
  const expected = [...online.read('subject', 'a', at), ...online.read('session', sessionKey('a'), at), ...online.read('item', 'i', at), ...online.read('category', 'c', at)];
  assert.deepEqual(Array.from(rows.row(0)), Array.from(expected));
  assert.equal(rows.row(1)[rows.columns.indexOf('subject.view_count_1h')], 1, 'the event at exactly the label time counts');
  assert.ok(rows.row(2).slice(0, 22).every((v) => v === 0), 'unknown subjects read as zeros');
  assert.equal(rows.store.stats().applied, 2, 'events after the last label are not needed');
  assert.throws(() => buildPointInTimeRows(events, [{ subject: 'a', ts: Number.NaN }]), /label 0: ts/);
});

test('any input order gives the rows of the time-ordered input (stable for equal times), whichever way it is sorted', () => {
  fc.assert(
    fc.property(
      streamArb({ maxEvents: 60 }).chain((c) => fc.tuple(fc.constant(c), labelsArb(c), fc.constantFrom(0, 0.25, 1e15))),
      ([c, labels, skew]) => {
        // skew 0.25: fractional times; 1e15: a time range too wide to pack with the index (comparator sort)
        const events = eventsOf(c).map((e, i) => (i === 0 && skew ? { ...e, ts: e.ts - skew } : e));
        const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i).map(({ e }) => e);
        const a = buildPointInTimeRows(events, labels);
        const b = buildPointInTimeRows(ordered, labels);
        assert.deepEqual(Array.from(a.values), Array.from(b.values));
      },
    ),
    { numRuns: 60 },
  );
});
