/**
 * Partition leases against a real nats-server: workers share the partitions fairly, a lease that lapses
 * with nobody else holding it is paused and taken back (state kept: no `lost`, no snapshot restore), one
 * another worker holds is given up as lost, and a worker that leaves hands its partitions over.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { createLogger } from '../../engine/logger.ts';
import { LEASES_BUCKET, startPartitionLeases, type PartitionLeases, type ReleaseMode } from '../../engine/cluster/partition-leases.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats } from '../helpers/nats.ts';

const PARTITIONS = 4;
const TTL = 3000;
const log = createLogger('silent');

function recorder() {
  const calls: string[] = [];
  return {
    calls,
    handlers: {
      acquire: async (p: number) => void calls.push(`acquire ${p}`),
      release: async (p: number, mode: ReleaseMode) => void calls.push(`${mode} ${p}`),
    },
  };
}

async function worker(nc: NatsConnection, id: string, calls = recorder()): Promise<{ leases: PartitionLeases; calls: string[] }> {
  const leases = await startPartitionLeases(nc, { partitions: PARTITIONS, workerId: id, ttlMs: TTL, log }, calls.handlers);
  return { leases, calls: calls.calls };
}

const owned = (l: PartitionLeases) => [...l.owned()].sort();

test("two workers split the partitions, and the one that stays takes the leaver's back", async (t) => {
  const nats = await startTestNats(t);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const a = await worker(nc, 'worker-a');
  assert.deepEqual(owned(a.leases), [0, 1, 2, 3], 'alone, a worker holds every partition');
  const b = await worker(nc, 'worker-b');
  await waitUntil(async () => (await a.leases.tick(), await b.leases.tick(), await a.leases.idle(), await b.leases.idle(), a.leases.owned().size === 2 && b.leases.owned().size === 2), 20_000, 'a fair split');
  assert.deepEqual([...owned(a.leases), ...owned(b.leases)].sort(), [0, 1, 2, 3], 'each partition has one holder');
  assert.equal(a.calls.filter((c) => c.startsWith('handover')).length, 2, 'the first worker handed two partitions over');
  await a.leases.tick();
  for (const p of owned(b.leases)) assert.equal(a.leases.ownerOf(p), 'worker-b', 'the owner of a partition held elsewhere is named');
  await b.leases.close();
  assert.deepEqual(b.calls.filter((c) => c.startsWith('handover')).length, 2, 'a worker that leaves hands its partitions over');
  await waitUntil(async () => (await a.leases.tick(), await a.leases.idle(), a.leases.owned().size === 4), 20_000, 'the stayer to take every partition back');
  await a.leases.close();
});

test('a lease that lapses with no other holder is paused and taken back; one another worker holds is lost', async (t) => {
  const nats = await startTestNats(t);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const a = await worker(nc, 'worker-a');
  defer(t, () => a.leases.close());
  const kv = await nc.jetstream().views.kv(LEASES_BUCKET);

  // The lease vanishes from the bucket (as when it expired while the bucket was unreachable).
  await kv.delete('partition.1');
  a.calls.length = 0;
  await a.leases.tick();
  await a.leases.idle();
  assert.deepEqual(a.calls, ['pause 1', 'acquire 1'], 'paused, then taken back in the same round; nothing dropped');
  assert.ok(a.leases.owned().has(1));

  // Another worker's lease over ours: this worker stalled and lost it.
  await kv.put('partition.2', new TextEncoder().encode(JSON.stringify({ worker: 'worker-z', at: Date.now() })));
  a.calls.length = 0;
  await a.leases.tick();
  await a.leases.idle();
  assert.deepEqual(a.calls, ['lost 2']);
  assert.equal(a.leases.ownerOf(2), 'worker-z');
  assert.ok(!a.leases.owned().has(2), 'a partition another worker holds is not served here');
});

test('a slow acquisition does not hold up the renewal of the other leases', async (t) => {
  const nats = await startTestNats(t);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const calls: string[] = [];
  let slow = false;
  const leases = await startPartitionLeases(nc, { partitions: PARTITIONS, workerId: 'worker-s', ttlMs: TTL, log }, {
    acquire: async (p) => {
      calls.push(`acquire ${p}`);
      // A restore against a cluster still electing leaders: several request timeouts.
      if (slow) await new Promise((r) => setTimeout(r, 2 * TTL));
    },
    release: async (p, mode) => void calls.push(`${mode} ${p}`),
  });
  defer(t, () => leases.close());
  assert.equal(leases.owned().size, PARTITIONS);
  slow = true;
  await (await nc.jetstream().views.kv(LEASES_BUCKET)).delete('partition.3');
  calls.length = 0;
  const started = Date.now();
  while (Date.now() - started < 3 * TTL) await new Promise((r) => setTimeout(r, 200)); // the lease timer keeps ticking
  await leases.tick(); // a round after the acquisition: leases that lapsed meanwhile would be paused now
  await leases.idle();
  assert.deepEqual(calls, ['pause 3', 'acquire 3'], 'the other leases were renewed all along');
  assert.equal(leases.owned().size, PARTITIONS);
});
