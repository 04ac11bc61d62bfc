/**
 * Deterministic edges of the written semantics: window and bucket boundaries, ts == t, tiles folding over
 * weeks, the session gap, merges by late events, lateness, TTL, purge, demand history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_VIEWS, FeatureStore, sessionKey, type FeatureEvent, type FeatureStoreOptions, type FeatureView } from '../../engine/index.ts';
import { DAY, HOUR, MINUTE } from './streams.ts';

const T = Date.UTC(2024, 4, 15, 10, 0, 0); // a Wednesday, 10:00 UTC

function storeWith(events: (Partial<FeatureEvent> & { ts: number })[], options: FeatureStoreOptions = {}): FeatureStore {
  const store = new FeatureStore(options);
  events.forEach((e, i) => store.apply({ sid: 'u', type: 'view', ...e }, i + 1));
  return store;
}
const feature = (store: FeatureStore, target: string, key: string, name: string, t: number) => store.readRecord(target, key, t)[name];

test('1h window: 5-minute buckets, the current one and the 11 before, events at or before t', () => {
  const store = storeWith([{ ts: T }, { ts: T + 5 * MINUTE - 1 }]);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_1h', T + 5 * MINUTE - 1), 2, 'ts == t counts');
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_1h', T + HOUR - 1), 2);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_1h', T + HOUR), 0, 'both leave when the 13th bucket starts');
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_24h', T + HOUR), 2);
});

test('24h, 7d and 30d windows: hour and UTC-day buckets', () => {
  const lateInDay = Date.UTC(2024, 4, 15, 23, 59, 59, 999);
  const store = storeWith([{ ts: T + 30 * MINUTE }, { ts: lateInDay }]);
  const nextDay = Date.UTC(2024, 4, 16);
  // the 10:30 event's hour bucket leaves the 24h window at 10:00 the next day
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_24h', nextDay + 10 * HOUR - 1), 2);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_24h', nextDay + 10 * HOUR), 1);
  // 7d: today and the 6 days before, by UTC day
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_7d', nextDay + 6 * DAY - 1), 2);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_7d', nextDay + 6 * DAY), 0);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_30d', nextDay + 29 * DAY - 1), 2);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_30d', nextDay + 29 * DAY), 0);
});

test('tiles fold from 5 minutes to hours to days as a subject stays active for weeks, and counts stay exact', () => {
  // one view every 10 minutes for 40 days
  const events = Array.from({ length: (40 * DAY) / (10 * MINUTE) }, (_, i) => ({ ts: T + i * 10 * MINUTE }));
  const store = storeWith(events);
  const last = events[events.length - 1]!.ts;
  const count = (from: number) => events.filter((e) => e.ts >= from && e.ts <= last).length;
  const start = (r: number, n: number) => (Math.floor(last / r) - (n - 1)) * r;
  const got = store.readRecord('subject', 'u', last);
  assert.equal(got['subject.view_count_1h'], count(start(5 * MINUTE, 12)));
  assert.equal(got['subject.view_count_24h'], count(start(HOUR, 24)));
  assert.equal(got['subject.view_count_7d'], count(start(DAY, 7)));
  assert.equal(got['subject.view_count_30d'], count(start(DAY, 30)));
  // folded: far fewer tiles than 5-minute buckets (12 + 23 + 30 at most)
  assert.ok(store.stats().stateBytes < 2_000_000);
});

test('a session ends after more than 30 minutes without events; exactly 30 minutes continues it', () => {
  const store = storeWith([{ ts: T }, { ts: T + 30 * MINUTE }, { ts: T + 60 * MINUTE + 1 }]);
  assert.equal(feature(store, 'subject', 'u', 'subject.sessions_30d', T + 2 * HOUR), 2);
  const session = store.readRecord('session', sessionKey('u'), T + 60 * MINUTE + 1);
  assert.equal(session['session.event_count'], 1);
  assert.equal(session['session.duration_s'], 0);
  const gapless = storeWith([{ ts: T }, { ts: T + 30 * MINUTE }], { sessionGapMs: 45 * MINUTE });
  assert.equal(feature(gapless, 'session', sessionKey('u'), 'session.duration_s', T + 30 * MINUTE), 1800);
});

test('a late event that bridges two sessions merges them, sums and all', () => {
  const view: FeatureView = {
    name: 'merge_probe',
    entity: 'session',
    purpose: 'personalization',
    ttlMs: HOUR,
    description: '',
    features: [{ name: 'probe.cart_age_s', agg: 'age', types: ['cart_add'] }],
  };
  const store = storeWith(
    [
      { ts: T, ssid: 'k', type: 'cart_add', item: 'a', price: 2 },
      { ts: T + 40 * MINUTE, ssid: 'k', item: 'b' },
      { ts: T + 20 * MINUTE, ssid: 'k', item: 'a' }, // arrives last, within 30 minutes of both
    ],
    { views: [...DEFAULT_VIEWS, view] },
  );
  const at = T + 40 * MINUTE;
  const s = store.readRecord('session', 'k', at);
  assert.equal(s['session.event_count'], 3);
  assert.equal(s['session.duration_s'], 2400);
  assert.equal(s['session.distinct_items'], 2);
  assert.equal(s['session.cart_value'], 2);
  assert.equal(s['probe.cart_age_s'], 2400, 'recency of the absorbed session carries over');
  assert.equal(feature(store, 'subject', 'u', 'subject.sessions_30d', at), 1);
});

test('a session that can still be reached by a late event is kept until the lateness bound has passed', () => {
  // sessions of key k: [T] and [T + 40 min]; the watermark moves past T + 1 h (by another subject), and an
  // event at T + 25 min — within the hour of lateness — still bridges both.
  const store = storeWith([
    { ts: T, ssid: 'k' },
    { ts: T + 40 * MINUTE, ssid: 'k' },
    { ts: T + HOUR + 20 * MINUTE, sid: 'other' },
    { ts: T + 25 * MINUTE, ssid: 'k' },
  ]);
  assert.equal(store.stats().late, 0);
  assert.equal(feature(store, 'subject', 'u', 'subject.sessions_30d', T + 2 * HOUR), 1);
  assert.equal(feature(store, 'session', 'k', 'session.event_count', T + 80 * MINUTE), 3);
});

test('lateness: an event exactly the allowed lateness behind the watermark is applied, one ms more is late', () => {
  const store = storeWith([{ ts: T }, { ts: T - HOUR }, { ts: T - HOUR - 1 }, { ts: T - 5 * HOUR }]);
  const s = store.stats();
  assert.equal(s.applied, 2);
  assert.equal(s.late, 2);
  assert.equal(s.lastLateBehindMs, 5 * HOUR);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_24h', T), 2);
});

test('distinct items: a very late event still counts when its day is in the window, not when it is not', () => {
  const opts = { allowedLatenessMs: 10 * DAY };
  const newest = T + 2 * HOUR;
  const inWindow = storeWith([{ ts: newest, item: 'a' }, { ts: newest - 6 * DAY, item: 'b' }], opts);
  assert.equal(feature(inWindow, 'subject', 'u', 'subject.distinct_items_7d', newest), 2);
  const outside = storeWith([{ ts: newest, item: 'a' }, { ts: Math.floor(newest / DAY) * DAY - 6 * DAY - 1, item: 'b' }], opts);
  assert.equal(feature(outside, 'subject', 'u', 'subject.distinct_items_7d', newest), 1);
});

test('TTL: values are served until the view TTL has passed, then read as zeros', () => {
  const shortItem: FeatureView = {
    name: 'item_short',
    entity: 'item',
    purpose: 'analytics',
    ttlMs: 2 * HOUR,
    description: '',
    features: [{ name: 'short.views_7d', agg: 'count', types: ['view'], window: '7d' }],
  };
  const store = storeWith([{ ts: T, item: 'i', category: 'c', ssid: 'k' }], { views: [...DEFAULT_VIEWS, shortItem] });
  for (const [target, key, ttl] of [
    ['subject', 'u', 30 * DAY],
    ['session', 'k', HOUR],
    ['item_short', 'i', 2 * HOUR],
    ['category', 'c', HOUR], // within its 7-day TTL: served
  ] as const) {
    assert.ok(store.read(target, key, T + ttl).some((v) => v !== 0), `${target} at ttl`);
    if (target !== 'category') assert.ok(store.read(target, key, T + ttl + 1).every((v) => v === 0), `${target} after ttl`);
  }
  assert.equal(feature(store, 'subject', 'u', 'subject.last_event_age_s', T + 30 * DAY), 30 * 86_400);
  assert.ok(store.read('subject', 'never-seen', T).every((v) => v === 0));
});

test('a read before the watermark is answered as of the watermark', () => {
  const store = storeWith([{ ts: T }, { ts: T + 2 * HOUR, sid: 'other' }]);
  assert.deepEqual(store.read('subject', 'u', T - DAY), store.read('subject', 'u', T + 2 * HOUR));
  assert.equal(feature(store, 'subject', 'u', 'subject.last_event_age_s', T), 7200);
});

test('purge forgets a subject and its sessions; item aggregates keep their counts; later events start afresh', () => {
  const store = storeWith([
    { ts: T, item: 'i', ssid: 'k' },
    { ts: T + MINUTE, item: 'i' },
    { ts: T + MINUTE, sid: 'v', item: 'i' },
  ]);
  assert.equal(store.subjects(), 2);
  assert.equal(store.purge('subject', 'u'), true);
  assert.equal(store.purge('subject', 'u'), false);
  assert.equal(store.subjects(), 1);
  assert.deepEqual(store.keys('subject'), ['v']);
  assert.deepEqual(store.keys('session').sort(), [sessionKey('v')]);
  assert.ok(store.read('subject', 'u', T + MINUTE).every((v) => v === 0));
  assert.ok(store.read('session', 'k', T + MINUTE).every((v) => v === 0));
  assert.equal(feature(store, 'item', 'i', 'item.view_count_24h', T + MINUTE), 3);
  store.apply({ ts: T + 2 * MINUTE, sid: 'u', type: 'view' }, 10);
  assert.equal(feature(store, 'subject', 'u', 'subject.view_count_1h', T + 2 * MINUTE), 1);
  assert.equal(store.purge('item', 'i'), true);
  assert.equal(feature(store, 'item', 'i', 'item.view_count_24h', T + 2 * MINUTE), 0);
  assert.equal(store.purge('session', sessionKey('u')), true);
  assert.deepEqual(store.counts(), { subject: 2, session: 1, item: 0, category: 0 });
});

test('demand history: units purchased per UTC day, sparse, for about two years', () => {
  const store = storeWith([
    { ts: T, type: 'purchase', item: 'i', category: 'c', quantity: 2 },
    { ts: T + HOUR, type: 'purchase', item: 'i', category: 'c' },
    { ts: T + 3 * DAY, type: 'purchase', item: 'i', category: 'c', quantity: 5 },
    { ts: T + 3 * DAY, type: 'view', item: 'i', category: 'c' },
  ]);
  const day = Math.floor(T / DAY);
  const h = store.demandHistory('item', 'i');
  assert.deepEqual([Array.from(h.days), Array.from(h.units)], [[day, day + 3], [3, 5]]);
  assert.deepEqual(Array.from(store.demandHistory('category', 'c').units), [3, 5]);
  store.apply({ ts: T + 3 * DAY + 729 * DAY, sid: 'u', type: 'purchase', item: 'j' }, 100);
  assert.deepEqual(Array.from(store.demandHistory('item', 'i').days), [day + 3], '730 days are kept');
  assert.equal(store.demandHistory('item', 'unknown').days.length, 0);
});

test('events that cannot be applied advance the sequence and are counted', () => {
  const store = new FeatureStore();
  store.apply({ ts: Number.NaN, sid: 'u', type: 'view' }, 1);
  store.apply({ ts: T, sid: 'u', type: 'teleport' as never }, 2);
  store.apply({ ts: T, sid: 'u', type: 'constructor' as never }, 3);
  store.skip(4);
  assert.deepEqual([store.lastSeq, store.stats().skipped, store.subjects()], [4, 4, 0]);
});
