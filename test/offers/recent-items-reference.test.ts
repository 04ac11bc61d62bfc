/**
 * The typed-array offers state against a naive reference (plain objects, the rules in a few lines) on
 * random event streams: late events, sessions and categories repeating, many subjects, purges, a
 * snapshot round trip. Also: strings are reference-counted, so purging everyone leaves no item, category
 * or session key behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RECENT_ITEMS, RecentItemsState, type RecentItem, type StoredEvent, type SubjectOffersState } from '../../engine/index.ts';
import { sessionKey } from '../../engine/features/sessions.ts';

const RECENT_SESSIONS = 5;
const SESSION_CATEGORIES = 10;

/** The rules, as the first (object) implementation had them. */
class Reference {
  readonly subjects = new Map<string, SubjectOffersState>();
  apply(e: StoredEvent): void {
    if (e.item === undefined && e.category === undefined) return;
    let s = this.subjects.get(e.sid);
    if (!s) this.subjects.set(e.sid, (s = { items: [], sessions: [] }));
    const session = sessionKey(e.sid, e.ssid);
    if (e.item !== undefined) {
      const entry: RecentItem = { item: e.item, type: e.type, ts: e.ts, session, category: e.category };
      let at = s.items.length;
      while (at > 0 && s.items[at - 1]!.ts > e.ts) at--;
      s.items.splice(at, 0, entry);
      if (s.items.length > RECENT_ITEMS) s.items.splice(0, s.items.length - RECENT_ITEMS);
    }
    if (e.category !== undefined) {
      let cats = s.sessions.find(([key]) => key === session)?.[1];
      if (!cats) {
        s.sessions.push([session, (cats = [])]);
        if (s.sessions.length > RECENT_SESSIONS) s.sessions.shift();
      }
      const i = cats.indexOf(e.category);
      if (i >= 0) cats.splice(i, 1);
      cats.push(e.category);
      if (cats.length > SESSION_CATEGORIES) cats.shift();
    }
  }
}

const TYPES = ['view', 'cart_add', 'purchase', 'search'] as const;
const op = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      subject: fc.integer({ min: 0, max: 5 }),
      ts: fc.integer({ min: 0, max: 400 }),
      session: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
      item: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      category: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
      type: fc.constantFrom(...TYPES),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const), subject: fc.integer({ min: 0, max: 5 }) }) },
);

const sidOf = (n: number) => `subject-${n}`;

test('recent items equal the naive reference on random streams (late events, repeats, purges, snapshot round trip)', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 400, size: 'max' }), (ops) => {
      const state = new RecentItemsState();
      const reference = new Reference();
      let t = 1_000_000;
      for (const o of ops) {
        if (o.kind === 'purge') {
          // what it held, as the erasure receipt counts it: items plus sessions (not category records)
          const held = reference.subjects.get(sidOf(o.subject));
          reference.subjects.delete(sidOf(o.subject));
          assert.equal(state.purge(sidOf(o.subject)), held ? held.items.length + held.sessions.length : 0);
          continue;
        }
        const e: StoredEvent = { eid: '', rt: 0, sid: sidOf(o.subject), ts: t + o.ts, type: o.type };
        // session ids repeat across subjects on purpose: the keys are per subject only by convention
        if (o.session !== undefined) e.ssid = `s${o.session}`;
        if (o.item !== undefined) e.item = `sku-${o.item}`;
        if (o.category !== undefined) e.category = `cat-${o.category}`;
        t += 1;
        state.apply(e);
        reference.apply(e);
      }
      const check = (s: RecentItemsState) => {
        assert.equal(s.size, reference.subjects.size);
        for (let n = 0; n <= 5; n++) assert.deepEqual(s.get(sidOf(n)), reference.subjects.get(sidOf(n)), sidOf(n));
      };
      check(state);
      // the ranking view: the newest item's session (or the named one), its categories
      for (const [sid, r] of reference.subjects) {
        const newest = r.items.at(-1)?.session ?? sessionKey(sid);
        for (const session of [undefined, sessionKey(sid, 's1'), sessionKey(sid)]) {
          const key = session ?? newest;
          const view = state.forRanking(sid, session)!;
          assert.deepEqual(view.items, r.items.map((i) => i.item));
          assert.deepEqual(view.types, r.items.map((i) => i.type));
          assert.deepEqual(view.inSession, r.items.map((i) => i.session === key));
          assert.deepEqual(view.categories, r.sessions.find(([k]) => k === key)?.[1] ?? []);
        }
      }
      // a snapshot's parts restore the same state
      const attachment = state.attachment();
      const parts = [...attachment.saveParts(2)];
      const back = new RecentItemsState();
      back.attachment().restore(structuredClone(parts));
      check(back);
      // strings go with their last reference
      for (let n = 0; n <= 5; n++) state.purge(sidOf(n));
      assert.deepEqual({ ...state.stats(), bytes: 0 }, { subjects: 0, names: 0, sessions: 0, bytes: 0 });
    }),
    { numRuns: 150, seed: 42 },
  );
});

test('a malformed snapshot of offers state is refused before anything is replaced', () => {
  const state = new RecentItemsState();
  state.apply({ eid: '', rt: 0, sid: 'kept', ts: 1, type: 'view', item: 'sku-1', category: 'c' });
  const attachment = state.attachment();
  assert.throws(() => attachment.restore([{ v: 1, subjects: [['x', [['sku', 'not-a-type', 1, 's', null]], []]] }]), /offers state is malformed: an item/);
  assert.throws(() => attachment.restore([{ v: 2, subjects: [] }]), /format this version does not read/);
  assert.equal(state.get('kept')?.items[0]?.item, 'sku-1', 'the state is as it was');
});

test('a restore sizes its arrays for what the snapshot holds: no more than the live state used', () => {
  const state = new RecentItemsState();
  for (let i = 0; i < 20_000; i++) {
    for (let e = 0; e < 5; e++) {
      // half the subjects without session ids (their lane takes no session entry), half with two sessions
      state.apply({ eid: '', rt: 0, sid: `subject-${i}`, ts: 1_000_000 + e, type: 'view', item: `sku-${(i * 7 + e) % 3000}`, category: `cat-${e}`, ...(i % 2 ? { ssid: `s-${i}-${e >> 1}` } : {}) });
    }
  }
  const back = new RecentItemsState();
  back.attachment().restore([...state.attachment().saveParts(500)]);
  const live = state.stats();
  const restored = back.stats();
  assert.deepEqual({ ...restored, bytes: 0 }, { ...live, bytes: 0 });
  assert.ok(restored.bytes <= live.bytes, `restored arrays ${restored.bytes} B, live ${live.bytes} B`);
  for (const sid of ['subject-0', 'subject-1', 'subject-19999']) assert.deepEqual(back.get(sid), state.get(sid));
});
