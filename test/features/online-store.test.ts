/**
 * Property tests: on random streams (out of order within and beyond the allowed lateness, redelivered
 * sequences, purges, many subjects, sessions and items) the online store serves exactly what the naive
 * reference computes, and a snapshot taken anywhere then replayed equals the uninterrupted run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_HISTORIES, DEFAULT_VIEWS, decodeSnapshot, encodeSnapshot, FeatureStore, type Entity, type FeatureEvent } from '../../engine/index.ts';
import { ReferenceStore } from './reference.ts';
import { HOUR, MINUTE, readTimes, streamArb, type Step, type StreamCase } from './streams.ts';

const ENTITIES: Entity[] = ['subject', 'session', 'item', 'category'];
const newReference = () => new ReferenceStore({ views: DEFAULT_VIEWS, histories: DEFAULT_HISTORIES, latenessMs: HOUR, gapMs: 30 * MINUTE });

interface Sink {
  apply(event: FeatureEvent, seq: number): void;
  purge(entity: Entity, key: string): unknown;
}

function play(steps: readonly Step[], ...sinks: Sink[]): void {
  for (const step of steps) {
    for (const sink of sinks) {
      if (step.kind === 'purge') sink.purge(step.entity, step.key);
      else sink.apply(step.event, step.seq);
    }
  }
}

function keysOf(c: StreamCase, entity: Entity): string[] {
  const known = entity === 'subject' ? c.subjects : entity === 'session' ? c.sessionKeys : entity === 'item' ? c.items : c.categories;
  return [...known, 'unknown'];
}

/** Every feature of every key at every read time, and the demand histories, agree. */
function assertSameAsReference(store: FeatureStore, ref: ReferenceStore, c: StreamCase, where: string): void {
  assert.equal(store.watermark, ref.watermark, `${where}: watermark`);
  assert.equal(store.stats().late, ref.late, `${where}: late events`);
  for (const t of readTimes(ref.watermark)) {
    for (const entity of ENTITIES) {
      for (const key of keysOf(c, entity)) {
        const got = Array.from(store.read(entity, key, t));
        const want = ref.read(entity, key, t);
        if (got.some((v, i) => !Object.is(v, want[i]))) {
          const names = store.featureNames(entity);
          const diff = names.flatMap((n, i) => (Object.is(got[i], want[i]) ? [] : [`${n}: store ${got[i]} reference ${want[i]}`]));
          assert.fail(`${where}: ${entity} ${JSON.stringify(key)} at W${t >= ref.watermark ? '+' : ''}${t - ref.watermark} ms: ${diff.join('; ')}`);
        }
      }
    }
  }
  for (const entity of ['item', 'category'] as const) {
    for (const key of keysOf(c, entity)) {
      const got = store.demandHistory(entity, key);
      assert.deepEqual({ days: Array.from(got.days), units: Array.from(got.units) }, ref.demandHistory(entity, key), `${where}: demand of ${entity} ${key}`);
    }
  }
}

test('the online store serves what the naive reference computes, on random out-of-order streams with redeliveries and purges', () => {
  fc.assert(
    fc.property(streamArb({ purges: true }), fc.double({ min: 0, max: 1, noNaN: true }), (c, cut) => {
      const store = new FeatureStore();
      const ref = newReference();
      const half = Math.floor(c.steps.length * cut);
      play(c.steps.slice(0, half), store, ref);
      if (half > 0) assertSameAsReference(store, ref, c, `after ${half} steps`);
      play(c.steps.slice(half), store, ref);
      assertSameAsReference(store, ref, c, 'at the end');
    }),
    { numRuns: 150 },
  );
});

test('a stream with many late events: they are counted, not applied, and the reference agrees', () => {
  fc.assert(
    fc.property(streamArb({ maxEvents: 40 }), (c) => {
      // An event 2 h after the first one arrives first: what is more than 1 h behind it is late.
      const events = c.steps.flatMap((s) => (s.kind === 'event' ? [s.event] : []));
      const lead: Step = { kind: 'event', event: { ts: events[0]!.ts + 2 * HOUR + 1, sid: 'early', type: 'view' }, seq: 1 };
      const steps = [lead, ...c.steps.map((s) => (s.kind === 'purge' ? s : { ...s, seq: s.seq + 1 }))];
      const store = new FeatureStore();
      const ref = newReference();
      play(steps, store, ref);
      assert.ok(ref.late > 0);
      assert.equal(store.stats().late, ref.late);
      assert.ok(store.stats().lastLateBehindMs > HOUR);
      assertSameAsReference(store, ref, { ...c, subjects: [...c.subjects, 'early'] }, 'late stream');
    }),
    { numRuns: 40 },
  );
});

test('restoring a snapshot taken anywhere and replaying the rest equals the uninterrupted run', () => {
  fc.assert(
    fc.property(streamArb(), fc.double({ min: 0, max: 1, noNaN: true }), (c, cut) => {
      const uninterrupted = new FeatureStore();
      const ref = newReference();
      play(c.steps, uninterrupted, ref);

      const first = new FeatureStore();
      const k = Math.floor(c.steps.length * cut);
      play(c.steps.slice(0, k), first, newReference());
      const restored = decodeSnapshot(encodeSnapshot(first));
      assert.equal(restored.lastSeq, first.lastSeq);
      // the consumer restarts from lastSeq + 1; anything at or below it that still arrives changes nothing
      play(c.steps.slice(Math.max(0, k - 3)), restored);

      const { stateBytes: _a, ...a } = uninterrupted.stats();
      const { stateBytes: _b, ...b } = restored.stats();
      assert.deepEqual(b, a);
      assertSameAsReference(restored, ref, c, `restored after ${k} steps`);
    }),
    { numRuns: 60 },
  );
});

test('applying a sequence at or below lastSeq changes nothing', () => {
  fc.assert(
    fc.property(streamArb({ maxEvents: 30 }), (c) => {
      const store = new FeatureStore();
      play(c.steps, store);
      const before = encodeSnapshot(store);
      for (const s of c.steps) if (s.kind !== 'purge') store.apply({ ...s.event, ts: s.event.ts + 1, type: 'purchase' }, s.seq);
      assert.deepEqual(encodeSnapshot(store), before);
    }),
    { numRuns: 30 },
  );
});
