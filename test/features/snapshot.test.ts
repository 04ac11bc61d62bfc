/**
 * Snapshots on disk (atomic, readable back, continuing where they left off) and in a NATS object store
 * on a real nats-server.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import { connect } from 'nats';
import {
  decodeSnapshot,
  encodeSnapshot,
  FeatureStore,
  RecentItemsState,
  readSnapshot,
  snapshotFromObjectStore,
  snapshotToObjectStore,
  writeSnapshot,
  type FeatureEvent,
} from '../../engine/index.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';
import { DAY, MINUTE } from './streams.ts';

const T = Date.UTC(2024, 5, 1, 8);

function someEvents(n: number, from = 0): FeatureEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      ts: T + i * 7 * MINUTE,
      sid: `s${i % 13}`,
      ...(i % 3 ? { ssid: `s${i % 13}-v${Math.floor(i / 40)}` } : {}),
      type: (['view', 'view', 'cart_add', 'purchase', 'cart_remove'] as const)[i % 5]!,
      item: `i${i % 7}`,
      category: `c${i % 3}`,
      price: 1.5 + (i % 4),
      quantity: 1 + (i % 2),
    };
  });
}

function everything(store: FeatureStore, at: number): unknown {
  const out: Record<string, unknown> = {};
  for (const entity of ['subject', 'session', 'item', 'category'] as const) {
    for (const key of store.keys(entity).sort()) out[`${entity}:${key}`] = Array.from(store.read(entity, key, at));
  }
  for (const key of store.keys('item')) out[`demand:${key}`] = Array.from(store.demandHistory('item', key).units);
  return out;
}

test('a snapshot file is written atomically and a restored store continues exactly where it stopped', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'features.snapshot');
  const events = someEvents(600);
  const uninterrupted = new FeatureStore();
  events.forEach((e, i) => uninterrupted.apply(e, i + 1));

  const first = new FeatureStore();
  events.slice(0, 350).forEach((e, i) => first.apply(e, i + 1));
  assert.equal(await readSnapshot(path), undefined, 'no snapshot yet');
  const written = await writeSnapshot(path, first);
  assert.equal(written.lastSeq, 350);
  assert.deepEqual(readdirSync(dir), ['features.snapshot'], 'no temporary file left behind');

  const restored = (await readSnapshot(path))!;
  assert.equal(restored.lastSeq, 350);
  assert.equal(restored.watermark, first.watermark);
  // the consumer resumes from lastSeq + 1
  events.forEach((e, i) => restored.apply(e, i + 1));
  const at = uninterrupted.watermark + 1;
  assert.deepEqual(everything(restored, at), everything(uninterrupted, at));
  assert.ok(Object.keys(everything(restored, at) as object).length > 30);
  assert.ok(restored.read('session', 's1-v14', at).some((v) => v > 0));
});

test('a snapshot written with other definitions or a damaged file is refused with a clear message', async (t) => {
  const store = new FeatureStore();
  someEvents(20).forEach((e, i) => store.apply(e, i + 1));
  const data = encodeSnapshot(store);
  assert.throws(() => decodeSnapshot(data, { sessionGapMs: 10 * MINUTE }), /other feature definitions/);
  assert.throws(() => decodeSnapshot(data.subarray(0, data.length / 2)), /not a readable feature store snapshot/);
  const path = join(tempDir(t), 'bad.snapshot');
  writeFileSync(path, 'not msgpack at all');
  await assert.rejects(readSnapshot(path), /snapshot/);
});

test('a snapshot round-trips through a NATS object store, for another worker to take over', async (t) => {
  const nats = await startTestNats(t);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const os = await nc.jetstream().views.os('iob-feature-snapshots');
  const store = new FeatureStore();
  const events = someEvents(400);
  events.slice(0, 300).forEach((e, i) => store.apply(e, i + 1));
  const info = await snapshotToObjectStore(os, 'partition-0', store);
  assert.ok(info.size > 0);
  assert.equal(await snapshotFromObjectStore(os, 'missing'), undefined);
  const taken = (await snapshotFromObjectStore(os, 'partition-0'))!;
  assert.equal(taken.lastSeq, 300);
  events.forEach((e, i) => (taken.apply(e, i + 1), i >= 300 && store.apply(e, i + 1)));
  const at = T + 3 * DAY;
  assert.deepEqual(everything(taken, at), everything(store, at));
});

test('attachments travel in parts: the periodic writer lets the event loop run between parts while the consumer is held', async (t) => {
  const store = new FeatureStore();
  someEvents(60).forEach((e, i) => store.apply(e, i + 1));
  let held = false;
  let holds = 0;
  const heldDuringParts: boolean[] = [];
  const restored: unknown[][] = [];
  const attachment = {
    name: 'numbers',
    *saveParts(size: number) {
      assert.ok(size > 0);
      for (let p = 0; p < 3; p++) {
        heldDuringParts.push(held);
        yield { part: p, values: [p, p * 10] };
      }
    },
    restore: (parts: readonly unknown[]) => void restored.push([...parts]),
  };
  // Ticks of the event loop while the snapshot is written: the writer must let them run.
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const path = join(tempDir(t), 'features.snapshot');
  const hold = () => {
    holds++;
    held = true;
    return () => void (held = false);
  };
  const ticksBefore = ticks;
  const started = performance.now();
  const written = await writeSnapshot(path, store, [attachment], hold);
  const wallMs = performance.now() - started;
  ticking = false;
  // what the engine spaces its periodic snapshots by: the encoding's event-loop time, not the wall time
  assert.ok(written.busyMs > 0 && written.busyMs <= wallMs, `busy ${written.busyMs} ms of ${wallMs} ms`);
  assert.equal(holds, 1);
  assert.equal(held, false, 'released once written');
  assert.deepEqual(heldDuringParts, [true, true, true], 'held while every part was saved');
  assert.ok(ticks - ticksBefore >= 3, `the event loop ran between parts (${ticks - ticksBefore} ticks)`);

  const back = (await readSnapshot(path, {}, [attachment]))!;
  assert.equal(back.lastSeq, 60);
  assert.deepEqual(restored, [[0, 1, 2].map((p) => ({ part: p, values: [p, p * 10] }))]);
  // The synchronous encoder writes the same parts.
  restored.length = 0;
  decodeSnapshot(encodeSnapshot(store, [attachment]), {}, [attachment]);
  assert.deepEqual(restored[0]!.length, 3);
});

test('a snapshot written before attachments had parts restores its attachment as one part', async () => {
  const store = new FeatureStore();
  someEvents(20).forEach((e, i) => store.apply(e, i + 1));
  // The earlier layout: the attachment's whole state under its name, packed with the store's state.
  const packr = new Packr({ useRecords: false, moreTypes: false });
  const earlier = packr.pack({ ...(packr.unpack(encodeSnapshot(store)) as object), attachments: { numbers: { v: 1, values: [1, 2, 3] } } });
  const restored: unknown[][] = [];
  const back = decodeSnapshot(earlier, {}, [{ name: 'numbers', saveParts: () => [], restore: (parts) => void restored.push([...parts]) }]);
  assert.equal(back.lastSeq, 20);
  assert.deepEqual(restored, [[{ v: 1, values: [1, 2, 3] }]]);
});

test('a purge (erasure, consent withdrawal) while the periodic writer yields is in the snapshot: the subject is not written, and the store restores consistent', async (t) => {
  const store = new FeatureStore();
  const recent = new RecentItemsState();
  // enough subjects for several attachment parts; long session ids, as pseudonymized ones are
  const events = Array.from({ length: 6000 }, (_, i) => ({
    eid: `e${i}`,
    ts: T + i * 1000,
    rt: T + i * 1000,
    sid: `subject-${i % 2000}`,
    ssid: `subject-${i % 2000}-a-long-session-identifier-${Math.floor(i / 2000)}`,
    type: 'view' as const,
    item: `i${i % 50}`,
    category: `c${i % 5}`,
  }));
  events.forEach((e, i) => (store.apply(e, i + 1), recent.apply(e)));
  const victim = 'subject-3'; // in the first part
  let purged = false;
  // as the engine's consent and erasure handlers do, from a turn of the event loop while the writer yields
  const hold = () => {
    setImmediate(() => {
      store.purge('subject', victim);
      recent.purge(victim);
      purged = true;
    });
    return () => undefined;
  };
  const path = join(tempDir(t), 'features.snapshot');
  await writeSnapshot(path, store, [recent.attachment()], hold);
  assert.ok(purged);

  const back = new RecentItemsState();
  const restored = (await readSnapshot(path, {}, [back.attachment()]))!;
  assert.equal(back.get(victim), undefined, 'the purged subject is not in the snapshot');
  assert.equal(back.size, 1999);
  assert.equal(restored.subjects(), restored.keys('subject').length, 'the restored store counts what it holds');
  // the restored store continues as the live one does
  const more = Array.from({ length: 3000 }, (_, i) => ({ eid: `f${i}`, ts: T + (6000 + i) * 1000, sid: `new-${i}`, ssid: `new-${i}-s`, type: 'view' as const, item: `i${i % 50}` }));
  more.forEach((e, i) => (store.apply(e, 6001 + i), restored.apply(e, 6001 + i)));
  assert.deepEqual(restored.counts(), store.counts());
  assert.deepEqual(everything(restored, T + 2 * DAY), everything(store, T + 2 * DAY));
});
