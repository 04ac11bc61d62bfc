/**
 * The shortcuts that spare work per event must not change what is served: tile codes stay put whenever
 * `sameCodes` says so, an item's category is the one of its latest applied event, and a subject kept only
 * up to a time ignores its later events and nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LEVEL_MS, tileCode, TileLevels, WINDOW_SHAPES, type WindowShape } from '../../engine/features/time-windows.ts';
import { FeatureStore, SUBJECT_VIEW, type FeatureEvent } from '../../engine/index.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T = Date.UTC(2024, 4, 10, 9, 17);

test('when sameCodes(before, newest) holds, every time at or before `before` keeps its tile code; the newest event is in a finest tile', () => {
  const shapes = Object.values(WINDOW_SHAPES);
  const kinds = fc.subarray(shapes, { minLength: 1 }).map((s: WindowShape[]) => s);
  fc.assert(
    fc.property(
      kinds,
      fc.integer({ min: 0, max: 40 * DAY }),
      fc.integer({ min: 1, max: 2 * DAY }),
      fc.array(fc.integer({ min: 0, max: 40 * DAY }), { minLength: 1, maxLength: 40 }),
      (windows, offset, step, backs) => {
        const levels = new TileLevels(windows);
        const before = T + offset;
        const newest = before + step;
        if (!levels.sameCodes(before, newest)) return;
        for (const back of backs) {
          const ts = before - back;
          assert.equal(levels.codeFor(ts, newest), levels.codeFor(ts, before), `ts ${ts} before ${before} newest ${newest}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
  // the newest event's own tile is a finest-level one, however the times come
  fc.assert(
    fc.property(kinds, fc.array(fc.integer({ min: -DAY, max: 40 * DAY }), { minLength: 1, maxLength: 20 }), (windows, offsets) => {
      const levels = new TileLevels(windows);
      const finest = levels.levels[0]!;
      for (const o of offsets) {
        const t = T + o;
        assert.equal(levels.codeFor(t, t), tileCode(Math.floor(t / LEVEL_MS[finest]) * LEVEL_MS[finest], finest));
      }
    }),
    { numRuns: 500 },
  );
  // and it does say no when a level's window start crosses its parent bucket
  const subject = new TileLevels(Object.values(WINDOW_SHAPES));
  assert.equal(subject.sameCodes(T, T + MINUTE), true);
  assert.equal(subject.sameCodes(T, T + 2 * HOUR), false);
});

test('categoryOfItem: the category of the item’s latest applied event, with or without item and category views', () => {
  const events: FeatureEvent[] = [
    { ts: T, sid: 'u', type: 'view', item: 'i', category: 'c1' },
    { ts: T + MINUTE, sid: 'u', type: 'view', item: 'i', category: 'c2' },
    { ts: T + 2 * MINUTE, sid: 'u', type: 'view', item: 'i' },
    { ts: T + 3 * MINUTE, sid: 'u', type: 'view', item: 'j', category: 'c1' },
  ];
  // item and category state, or neither (dictionary ids)
  for (const store of [new FeatureStore(), new FeatureStore({ views: [SUBJECT_VIEW], histories: [], trackItemCategories: true })]) {
    events.forEach((e, k) => store.apply(e, k + 1));
    assert.equal(store.categoryOfItem('i'), 'c2');
    assert.equal(store.categoryOfItem('j'), 'c1');
    assert.equal(store.categoryOfItem('unknown'), undefined);
    store.apply({ ts: T + 4 * MINUTE, sid: 'v', type: 'cart_add', item: 'i', category: 'c1', price: 2 }, 10);
    assert.equal(store.categoryOfItem('i'), 'c1', 'an item moved back to a category seen before');
  }
  // the category's counts do not depend on whether its slot came from the item's memory or a lookup
  const store = new FeatureStore();
  events.forEach((e, k) => store.apply(e, k + 1));
  assert.equal(store.readRecord('category', 'c1', T + 3 * MINUTE)['category.view_count_24h'], 2);
  assert.equal(store.readRecord('category', 'c2', T + 3 * MINUTE)['category.view_count_24h'], 1);
  assert.throws(() => new FeatureStore({ views: [SUBJECT_VIEW], histories: [] }).categoryOfItem('i'), /trackItemCategories/);
});

test('onlySubjects with times: a subject’s events after its time feed nothing of it; items still count them', () => {
  const events: FeatureEvent[] = [
    { ts: T, sid: 'a', ssid: 's', type: 'view', item: 'i', category: 'c' },
    { ts: T + MINUTE, sid: 'b', ssid: 't', type: 'view', item: 'i', category: 'c' },
    { ts: T + 2 * MINUTE, sid: 'a', ssid: 's', type: 'purchase', item: 'i', category: 'c', price: 3 },
    { ts: T + 3 * MINUTE, sid: 'b', ssid: 't', type: 'view', item: 'i', category: 'c' },
  ];
  const kept = new FeatureStore({ onlySubjects: new Map([['a', T + MINUTE], ['b', T + 3 * MINUTE]]) });
  events.forEach((e, k) => kept.apply(e, k + 1));
  const full = new FeatureStore();
  events.forEach((e, k) => full.apply(e, k + 1));
  const at = T + 3 * MINUTE;
  // read at `at`, where the full store still counts a's purchase
  assert.equal(full.readRecord('subject', 'a', at)['subject.purchase_count_1h'], 1);
  assert.equal(kept.readRecord('subject', 'a', at)['subject.purchase_count_1h'], 0, 'after its time: not applied');
  assert.equal(kept.readRecord('subject', 'a', at)['subject.view_count_1h'], 1);
  assert.equal(kept.readRecord('session', 's', at)['session.event_count'], 1);
  assert.deepEqual(kept.read('subject', 'b', at), full.read('subject', 'b', at));
  assert.deepEqual(kept.read('item', 'i', at), full.read('item', 'i', at));
  assert.equal(kept.readRecord('item', 'i', at)['item.purchase_count_7d'], 1);
});
