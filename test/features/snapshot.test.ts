/**
 * Snapshots on disk (atomic, readable back, continuing where they left off) and in a NATS object store
 * on a real nats-server.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'nats';
import {
  decodeSnapshot,
  encodeSnapshot,
  FeatureStore,
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
