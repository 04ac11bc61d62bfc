/**
 * Scale-out on partitions: nats-server maps `iob.events.<sid>` onto N partitions (`partition(N, 1)`), two
 * real `iob start` workers lease the partitions between them (NATS KV), each serves the subjects of its
 * own partitions and names the owner for the others (421), and when one is killed with SIGKILL the
 * survivor takes its partitions over from their last snapshot in the object store plus replay, and serves
 * them with the same features and the same offers state (recent items).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'nats';
import { LEASES_BUCKET, partitionMapping, partitionOf } from '../../engine/index.ts';
import { startEngineProcess, waitUntil, type RunningEngine } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir, type HasAfter } from '../helpers/nats.ts';

const PARTITIONS = 4;
const LEASE_TTL_MS = 2000;
const KEY = 'cluster-admin-key-0123456789';

function mappingConfig(dir: string, partitions: number): string {
  const [from, to] = partitionMapping(partitions);
  const path = join(dir, 'mapping.conf');
  writeFileSync(path, `mappings = {\n  "${from}": "${to}"\n}\n`);
  return path;
}

/** A partitioned worker's environment: lease TTL 2 s, a snapshot every second, one admin key. */
function workerEnv(t: HasAfter, natsUrl: string, id: string): NodeJS.ProcessEnv {
  return {
    NATS_URL: natsUrl,
    IOB_DATA_DIR: tempDir(t, `iob-worker-${id}-`),
    IOB_PORT: '0',
    IOB_PARTITIONS: String(PARTITIONS),
    IOB_WORKER_ID: id,
    IOB_LEASE_TTL_MS: String(LEASE_TTL_MS),
    IOB_SNAPSHOT_INTERVAL_MS: '1000',
    IOB_PSEUDONYM_KEY: 'cluster-pseudonym-key-'.padEnd(40, 'c'),
    IOB_API_KEYS: JSON.stringify([{ id: 'ops', key: KEY, scopes: ['admin'] }]),
  };
}

async function call(w: RunningEngine, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${w.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test("the engine's partition of a pseudonym is the one nats-server's mapping picks", async (t) => {
  const nats = await startTestNats(t, ['-c', mappingConfig(tempDir(t), 7)]);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const sids = Array.from({ length: 300 }, (_, i) => `sid-${i.toString(36)}-${(i * 7919).toString(36)}`);
  const seen = new Map<string, number>();
  const sub = nc.subscribe('iob.events.*.*', { max: sids.length });
  const done = (async () => {
    for await (const m of sub) seen.set(m.subject.split('.')[3]!, Number(m.subject.split('.')[2]));
  })();
  for (const sid of sids) nc.publish(`iob.events.${sid}`);
  await done;
  assert.equal(seen.size, sids.length);
  for (const sid of sids) assert.equal(seen.get(sid), partitionOf(sid, 7), sid);
  assert.ok(new Set(seen.values()).size === 7, 'every partition is used');
});

test('two workers share the partitions; a killed worker’s partitions are served again by the other, with equal features', async (t) => {
  const nats = await startTestNats(t, ['-c', mappingConfig(tempDir(t), PARTITIONS)]);
  const env = (id: string) => workerEnv(t, nats.url, id);
  const a = await startEngineProcess([], env('worker-a'));
  defer(t, () => a.child.kill('SIGKILL'));
  const b = await startEngineProcess([], env('worker-b'));
  defer(t, () => b.child.kill('SIGKILL'));

  // Leases settle: each worker holds two partitions, together all four.
  const owned = async (w: RunningEngine): Promise<number[]> => (await call(w, 'GET', '/readyz')).body?.partitions?.owned ?? [];
  await waitUntil(async () => {
    const [x, y] = [await owned(a), await owned(b)];
    return x.length === 2 && y.length === 2 && new Set([...x, ...y]).size === PARTITIONS;
  }, 20_000, 'the partitions to be shared 2 + 2').catch(async (err) => {
    throw new Error(`${err.message}: a owns ${await owned(a)}, b owns ${await owned(b)}\n${a.output().slice(-3000)}\n${b.output().slice(-3000)}`);
  });

  // Consented subjects with known event counts, ingested through worker a.
  const subjects = Array.from({ length: 24 }, (_, i) => `cluster-subject-${i}`);
  for (const s of subjects) assert.equal((await call(a, 'PUT', `/v1/consent/${s}`, { purposes: { personalization: true }, source: 'cmp' })).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const now = Date.now();
  const events = subjects.flatMap((s, i) => Array.from({ length: 1 + (i % 5) }, (_, k) => ({ id: `${s}-${k}`, ts: now + k, subject: s, type: 'view', item: `sku-${k}` })));
  const ingest = await call(a, 'POST', '/v1/events', { events });
  assert.equal(ingest.body.accepted, events.length);
  const views = (i: number) => 1 + (i % 5);

  const features = async (w: RunningEngine, s: string) => call(w, 'GET', `/v1/features/${s}`);
  const servedBy = new Map<string, RunningEngine>();
  await waitUntil(async () => {
    for (const [i, s] of subjects.entries()) {
      const [fa, fb] = [await features(a, s), await features(b, s)];
      const ok = [fa, fb].filter((f) => f.status === 200);
      if (ok.length !== 1 || ok[0]!.body.subject['subject.view_count_24h'] !== views(i)) return false;
      servedBy.set(s, fa.status === 200 ? a : b);
    }
    return true;
  }, 20_000, 'every subject to be served by exactly one worker with its features');
  const onB = subjects.filter((s) => servedBy.get(s) === b);
  assert.ok(onB.length > 0 && onB.length < subjects.length, 'both workers serve some subjects');
  const misdirected = await features(a, onB[0]!);
  assert.equal(misdirected.status, 421);
  assert.equal(misdirected.body.code, 'IOB_ERR_WRONG_WORKER');
  assert.match(misdirected.body.message, /worker-b/);
  // Let b snapshot its partitions to the object store, then kill it without any goodbye.
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = performance.now();
  b.child.kill('SIGKILL');
  await b.exited;
  await waitUntil(async () => {
    for (const [i, s] of subjects.entries()) {
      const f = await features(a, s);
      if (f.status !== 200 || f.body.subject['subject.view_count_24h'] !== views(i)) return false;
    }
    return true;
  }, 30_000, "the survivor to serve the killed worker's subjects");
  // The offers state (recent items) of the killed worker's subjects came over with its partitions' snapshots.
  for (const s of onB) {
    const exported = await call(a, 'GET', `/v1/subjects/${s}/export`);
    assert.equal(exported.status, 200);
    assert.equal(exported.body.recentItems?.items?.length, views(subjects.indexOf(s)), `recent items of ${s} after takeover`);
  }
  t.diagnostic(`takeover: every subject served again by the survivor ${((performance.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL (lease TTL 2 s)`);
  assert.deepEqual(await owned(a), [0, 1, 2, 3]);
  assert.match(a.output(), /"worker":"worker-a","partition":\d,"fromSeq":[1-9]\d*,"msg":"partition restored from snapshot; replaying after it"/, 'taken over from a snapshot, not replayed from scratch');
});

test('a consent withdrawal that lands while a partition is paused reaches its kept state, and resuming does not bring it back', async (t) => {
  const nats = await startTestNats(t, ['-c', mappingConfig(tempDir(t), PARTITIONS)]);
  const w = await startEngineProcess([], workerEnv(t, nats.url, 'worker-p'));
  defer(t, () => w.child.kill('SIGKILL'));
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());

  const [leaver, erased, stayer] = ['paused-leaver', 'paused-erased', 'paused-stayer'];
  for (const s of [leaver, erased, stayer]) assert.equal((await call(w, 'PUT', `/v1/consent/${s}`, { purposes: { personalization: true }, source: 'cmp' })).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const now = Date.now();
  const events = [leaver, erased, stayer].flatMap((s) => [0, 1, 2].map((k) => ({ id: `${s}-${k}`, ts: now + k, subject: s, type: 'view', item: `sku-${k}` })));
  assert.equal((await call(w, 'POST', '/v1/events', { events })).body.accepted, events.length);
  const views = async (s: string) => {
    const f = await call(w, 'GET', `/v1/features/${s}`);
    return f.status === 200 ? (f.body.subject['subject.view_count_24h'] as number) : f.status;
  };
  await waitUntil(async () => (await views(leaver)) === 3 && (await views(erased)) === 3 && (await views(stayer)) === 3, 20_000, 'the subjects to be served');

  // The lease bucket goes away (as when its stream has no leader): the leases lapse with nobody else
  // holding them, so every partition pauses, keeps its state, and cannot be taken back yet.
  await (await nc.jetstream().jetstreamManager()).streams.delete(`KV_${LEASES_BUCKET}`);
  await waitUntil(async () => (await views(leaver)) === 421 && (await views(erased)) === 421 && (await views(stayer)) === 421, 20_000, 'the partitions to pause');

  // The consent registry and the stream are still there: the withdrawal and the erasure are recorded, and
  // the worker's registry watch purges what it keeps for them.
  assert.equal((await call(w, 'PUT', `/v1/consent/${leaver}`, { purposes: { personalization: false }, source: 'cmp' })).status, 200);
  const erasure = await call(w, 'DELETE', `/v1/subjects/${erased}`);
  assert.ok(erasure.status < 300, `erasure answered ${erasure.status} ${JSON.stringify(erasure.body)}`);
  assert.equal(erasure.body.purged.features, 1, 'the erasure purged the paused partition\'s features');
  // The withdrawal's purge runs in the same callback that updates the consent the route reads.
  await waitUntil(async () => (await call(w, 'GET', `/v1/consent/${leaver}`)).body?.purposes?.personalization === false, 10_000, 'the withdrawal to reach the worker');
  const pausedOutput = w.output().length;

  // The bucket is back: the worker takes its leases again and resumes every partition from the state it kept.
  await nc.jetstream().views.kv(LEASES_BUCKET, { ttl: LEASE_TTL_MS, history: 1 });
  const owned = async () => ((await call(w, 'GET', '/readyz')).body?.partitions?.owned ?? []).length;
  await waitUntil(async () => (await owned()) === PARTITIONS && (await views(stayer)) === 3, 20_000, 'the partitions to resume').catch((err) => {
    throw new Error(`${err.message}\n${w.output().slice(-3000)}`);
  });
  const resumed = w.output().slice(pausedOutput);
  assert.equal(resumed.match(/"msg":"partition resumed from the state kept; applying after it"/g)?.length, PARTITIONS, 'every partition resumed from its kept state');
  assert.doesNotMatch(resumed, /restored from snapshot|replayed from the stream/, 'nothing restored or replayed');
  assert.equal(await views(leaver), 0, "the withdrawn subject's profile stays purged after the resume");
  assert.equal(await views(erased), 0, "the erased subject's profile stays purged after the resume");
});
