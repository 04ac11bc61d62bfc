/**
 * The online offers state on its own: bounded to the last RECENT_ITEMS items in event-time order (a late
 * event slots in), the categories of the last sessions, export without the subject's lane key, purge.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECENT_ITEMS, RecentItemsState, type StoredEvent } from '../../engine/index.ts';
import { sessionKey } from '../../engine/features/sessions.ts';

const ev = (ts: number, item?: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({ eid: '', ts, sid: 'sid-1', type: 'view', rt: 0, ...(item ? { item } : {}), ...extra });

test('recent items: bounded, in event-time order, late events slot in; categories per session; purge', () => {
  const s = new RecentItemsState();
  for (let i = 0; i < RECENT_ITEMS + 5; i++) s.apply(ev(1000 + i * 10, `sku-${i}`));
  const items = s.get('sid-1')!.items;
  assert.equal(items.length, RECENT_ITEMS);
  assert.equal(items[0]!.item, 'sku-5', 'the oldest fell off');
  s.apply(ev(1000 + 20 * 10 + 5, 'late'));
  const after = s.get('sid-1')!.items.map((i) => i.item);
  assert.equal(after.indexOf('late'), after.indexOf('sku-20') + 1, 'a late event lands at its time');
  assert.equal(after.length, RECENT_ITEMS);

  s.apply(ev(5000, 'a', { ssid: 'x', category: 'shoes' }));
  s.apply(ev(5001, 'b', { ssid: 'x', category: 'bags' }));
  s.apply(ev(5002, 'c', { ssid: 'x', category: 'shoes' }));
  s.apply(ev(5003, undefined, { ssid: 'y', category: 'hats', type: 'search' }));
  const state = s.get('sid-1')!;
  assert.deepEqual(s.forRanking('sid-1', sessionKey('sid-1', 'x'))!.categories, ['bags', 'shoes'], 'most recent last, no repeats');
  assert.deepEqual(s.forRanking('sid-1', sessionKey('sid-1', 'y'))!.categories, ['hats'], 'a search names a category without an item');
  assert.equal(state.items.at(-1)!.item, 'c');

  const exported = s.export('sid-1')!;
  assert.ok(exported.items.some((i) => i.session === '(no session id)'), 'the lane key is not exported raw');
  assert.ok(exported.items.every((i) => !('category' in i) || typeof i.category === 'string'));
  assert.ok(s.purge('sid-1') > 0);
  assert.equal(s.get('sid-1'), undefined);
  assert.equal(s.export('sid-1'), null);
  assert.equal(s.purge('sid-1'), 0);
});
