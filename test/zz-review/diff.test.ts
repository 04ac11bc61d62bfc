import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecentItemsState, type StoredEvent } from '../../engine/index.ts';
import { sessionKey } from '../../engine/features/sessions.ts';
import { RecentItemsState as Old, sessionCategories } from './old-recent-items.ts';

const TYPES = ['view', 'cart_add', 'purchase', 'search'] as const;
const long = (s: string) => `${s}-${'x'.repeat(30)}`;
const strOf = (kind: string, n: number) => (n === 0 ? '' : n === 1 ? `${kind}-ü€` : n % 3 === 0 ? long(`${kind}${n}`) : `${kind}${n}`);

function oldRanking(o: Old, sid: string, session?: string) {
  const state = o.get(sid);
  if (!state || state.items.length + state.sessions.length === 0) return undefined;
  const key = session ?? state.items.at(-1)?.session ?? sessionKey(sid);
  return {
    items: state.items.map((r) => r.item),
    types: state.items.map((r) => r.type),
    inSession: state.items.map((r) => r.session === key),
    categories: [...sessionCategories(state, key)],
  };
}

const op = (subjects: number) =>
  fc.oneof(
    {
      weight: 30,
      arbitrary: fc.record({
        kind: fc.constant('event' as const),
        subject: fc.integer({ min: 0, max: subjects }),
        ts: fc.integer({ min: 0, max: 400 }),
        session: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
        item: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        category: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }),
        type: fc.constantFrom(...TYPES),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('purge' as const), subject: fc.integer({ min: 0, max: subjects }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), mod: fc.integer({ min: 0, max: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), mod: fc.integer({ min: 0, max: 2 }), keepMod: fc.integer({ min: 0, max: 4 }) }) },
  );

const sidOf = (n: number) => (n === 0 ? '' : n % 5 === 0 ? long(`subject-${n}`) : `subject-${n}`);
const partOf = (sid: string) => sid.length % 3;

function check(state: RecentItemsState, old: Old, subjects: number, msg: string) {
  assert.equal(state.size, old.size, msg + ' size');
  for (let n = 0; n <= subjects; n++) {
    const sid = sidOf(n);
    assert.deepEqual(state.get(sid), old.get(sid), `${msg} get ${sid}`);
    assert.deepEqual(state.export(sid), old.export(sid), `${msg} export ${sid}`);
    for (const session of [undefined, sessionKey(sid, 's1'), sessionKey(sid), sessionKey(sid, strOf('s', 3))]) {
      assert.deepEqual(state.forRanking(sid, session), oldRanking(old, sid, session), `${msg} ranking ${sid} ${session}`);
    }
  }
}

for (const subjects of [6, 40]) {
  test(`differential vs the old implementation (${subjects} subjects)`, () => {
    fc.assert(
      fc.property(fc.array(op(subjects), { minLength: 1, maxLength: 600, size: 'max' }), fc.integer({ min: 1, max: 25 }), (ops, limit) => {
        const state = new RecentItemsState(limit);
        const old = new Old(limit);
        // a saved snapshot of some other state to restore from
        const donor = new Old(limit);
        let t = 1_000_000;
        for (const o of ops) {
          if (o.kind === 'purge') {
            assert.equal(state.purge(sidOf(o.subject)) > 0, old.purge(sidOf(o.subject)) > 0, 'purge count');
            continue;
          }
          if (o.kind === 'forget') {
            assert.equal(state.forget((sid) => partOf(sid) === o.mod), old.forget((sid) => partOf(sid) === o.mod));
            continue;
          }
          if (o.kind === 'restore') {
            const covers = (sid: string) => partOf(sid) === o.mod;
            const keep = (sid: string) => sid.length % 5 !== o.keepMod;
            const parts = structuredClone([...donor.attachment(() => true, covers).saveParts(3)]);
            state.attachment(keep, covers).restore(structuredClone(parts));
            old.attachment(keep, covers).restore(structuredClone(parts));
            continue;
          }
          const e: StoredEvent = { eid: '', rt: 0, sid: sidOf(o.subject), ts: t + o.ts, type: o.type };
          if (o.session !== undefined) e.ssid = strOf('s', o.session);
          if (o.item !== undefined) e.item = strOf('sku', o.item);
          if (o.category !== undefined) e.category = strOf('cat', o.category);
          t += 1;
          state.apply(e);
          old.apply(e);
          const e2 = { ...e, sid: sidOf((o.subject + 1) % (subjects + 1)), ts: e.ts + 7 };
          donor.apply(e2);
        }
        check(state, old, subjects, 'after ops');
        const back = new RecentItemsState(limit);
        back.attachment().restore(structuredClone([...state.attachment().saveParts(4)]));
        check(back, old, subjects, 'round trip');
        for (let n = 0; n <= subjects; n++) state.purge(sidOf(n));
        assert.deepEqual({ ...state.stats(), bytes: 0 }, { subjects: 0, names: 0, sessions: 0, bytes: 0 });
      }),
      { numRuns: 1500, seed: Number(process.env.SEED ?? 7) },
    );
  });
}

test('many subjects: tables and block lists grow (stale-array checks), pool compaction', () => {
  const state = new RecentItemsState();
  const old = new Old();
  const N = 6000;
  let t = 0;
  const rnd = fc.sample(fc.tuple(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 })), { numRuns: 80_000, seed: 3 });
  for (const [s, item, cat, sess] of rnd) {
    const sid = long(`subject-${s}`);
    if (item % 97 === 0) {
      assert.equal(state.purge(sid) > 0, old.purge(sid) > 0);
      continue;
    }
    const e: StoredEvent = { eid: '', rt: 0, sid, ts: (t += 1) - (item % 7) * 3, type: 'view', item: long(`sku-${item}`), ssid: sess === 0 ? undefined : long(`sess-${s}-${sess}`) };
    if (cat % 2 === 0) e.category = long(`cat-${cat}`);
    state.apply(e);
    old.apply(e);
  }
  for (let s = 0; s < N; s++) {
    const sid = long(`subject-${s}`);
    assert.deepEqual(state.get(sid), old.get(sid));
  }
  const st = state.stats();
  assert.ok(st.subjects > 1024);
  for (let s = 0; s < N; s++) state.purge(long(`subject-${s}`));
  assert.deepEqual({ ...state.stats(), bytes: 0 }, { subjects: 0, names: 0, sessions: 0, bytes: 0 });
});

test('snapshot writer: purges between parts', () => {
  const state = new RecentItemsState();
  for (let s = 0; s < 50; s++) state.apply({ eid: '', rt: 0, sid: `s${s}`, ts: s, type: 'view', item: `i${s}`, category: 'c' });
  const a = state.attachment();
  const before = a.changes!();
  const parts: unknown[] = [];
  let k = 0;
  for (const part of a.saveParts(5)) {
    parts.push(part);
    state.purge(`s${k * 7}`);
    k++;
  }
  assert.notEqual(a.changes!(), before);
  const again = [...a.saveParts(5)];
  const back = new RecentItemsState();
  back.attachment().restore(structuredClone(again));
  assert.equal(back.size, state.size);
});
