/**
 * Partition leases in a NATS KV bucket (IOB_LEASES, TTL = lease TTL): which worker owns which partition of
 * the event stream. Every worker heartbeats `worker.<id>`, counts the live workers, and holds its fair share
 * ceil(N / workers): it renews its leases (compare-and-set on the revision it holds, so a lease taken over
 * while this worker stalled is noticed and dropped), takes free ones with `create` (which fails while
 * another worker's lease lives), and hands back extras when workers join. A dead worker stops renewing;
 * its leases expire after the TTL and the survivors take them.
 *
 * Taking a partition calls `acquire` (restore its state, start its consumer) before the lease counts as
 * held for serving; handing one back calls `release` (snapshot, stop) before the lease is deleted, so two
 * workers never apply one partition at the same time except for the bounded window of a stalled worker
 * whose lease expired — which is why state is idempotent by stream sequence.
 */
import type { JetStreamClient, KV } from 'nats';
import type { Logger } from '../logger.ts';

export const LEASES_BUCKET = 'IOB_LEASES';

export interface LeaseHandlers {
  acquire(partition: number): Promise<void>;
  /** `lost`: another worker holds the lease now (do not write its snapshot) */
  release(partition: number, lost: boolean): Promise<void>;
}

export interface PartitionLeases {
  /** partitions this worker holds and has finished acquiring */
  owned(): ReadonlySet<number>;
  /** the worker id holding a partition, as last read (undefined: free or unknown) */
  ownerOf(partition: number): string | undefined;
  /** one round of heartbeat, renewal, acquisition and release now (the timer does the same) */
  tick(): Promise<void>;
  /** releases every lease (handlers first) and stops */
  close(): Promise<void>;
}

export interface LeaseOptions {
  partitions: number;
  workerId: string;
  ttlMs: number;
  replicas?: number;
  log: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const partitionKey = (p: number) => `partition.${p}`;
const workerKey = (id: string) => `worker.${id}`;

export async function startPartitionLeases(js: JetStreamClient, options: LeaseOptions, handlers: LeaseHandlers): Promise<PartitionLeases> {
  const { partitions, workerId, ttlMs, log } = options;
  const kv: KV = await js.views.kv(LEASES_BUCKET, { ttl: ttlMs, history: 1, replicas: options.replicas ?? 1 });
  /** partition → the KV revision of our lease */
  const held = new Map<number, number>();
  /** partition → when our lease was last written */
  const renewedAt = new Map<number, number>();
  const ready = new Set<number>();
  const owners = new Map<number, string>();
  const value = () => encoder.encode(JSON.stringify({ worker: workerId, at: Date.now() }));
  // Start the scan for free partitions at a worker-specific offset, so workers starting together spread out.
  let offset = 0;
  for (const c of workerId) offset = (offset * 31 + c.charCodeAt(0)) % partitions;

  async function take(p: number): Promise<boolean> {
    let revision: number;
    try {
      revision = await kv.create(partitionKey(p), value());
    } catch {
      return false; // someone holds it
    }
    held.set(p, revision);
    renewedAt.set(p, Date.now());
    owners.set(p, workerId);
    try {
      await handlers.acquire(p);
      ready.add(p);
      log.info({ partition: p }, 'partition acquired');
      return true;
    } catch (err) {
      log.error({ err, partition: p }, 'partition could not be acquired; handing the lease back');
      held.delete(p);
      await kv.delete(partitionKey(p)).catch(() => undefined);
      return false;
    }
  }

  async function giveBack(p: number, lost: boolean): Promise<void> {
    ready.delete(p);
    try {
      await handlers.release(p, lost);
    } catch (err) {
      log.error({ err, partition: p }, 'partition release failed');
    }
    const revision = held.get(p);
    held.delete(p);
    if (!lost && revision !== undefined) await kv.delete(partitionKey(p), { previousSeq: revision }).catch(() => undefined);
    log.info({ partition: p, lost }, lost ? 'partition lease lost to another worker' : 'partition released');
  }

  let ticking: Promise<void> | undefined;
  let closed = false;
  async function round(): Promise<void> {
    await kv.put(workerKey(workerId), value());
    let workers = 0;
    owners.clear();
    // Keys first, values after: reading values while the key listing runs cuts the listing short.
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    for (const key of keys) {
      if (key.startsWith('worker.')) workers++;
      else if (key.startsWith('partition.')) {
        const entry = await kv.get(key);
        if (entry && entry.operation === 'PUT') owners.set(Number(key.slice('partition.'.length)), JSON.parse(decoder.decode(entry.value)).worker);
      }
    }
    for (const [p, revision] of [...held]) {
      try {
        held.set(p, await kv.update(partitionKey(p), value(), revision));
        renewedAt.set(p, Date.now());
        owners.set(p, workerId);
      } catch {
        // A renewal that timed out may still have been written (a cluster node died mid-request): the lease
        // is lost only if another worker holds it now, or ours has surely expired.
        const entry = await kv.get(partitionKey(p)).catch(() => undefined);
        const holder = entry && entry.operation === 'PUT' ? (JSON.parse(decoder.decode(entry.value)) as { worker?: string }).worker : undefined;
        if (entry && holder === workerId) held.set(p, entry.revision);
        else if (holder !== undefined || Date.now() - (renewedAt.get(p) ?? 0) > ttlMs) await giveBack(p, true);
      }
    }
    const target = Math.ceil(partitions / Math.max(1, workers));
    for (let i = 0; i < partitions && held.size < target && !closed; i++) {
      const p = (offset + i) % partitions;
      if (!held.has(p) && !owners.has(p)) await take(p);
    }
    // Hand back the surplus (a worker joined), highest partitions first.
    const surplus = [...held.keys()].sort((a, b) => b - a).slice(0, Math.max(0, held.size - target));
    for (const p of surplus) await giveBack(p, false);
  }
  const tick = () =>
    (ticking ??= round()
      .catch((err) => log.warn({ err: { message: (err as Error).message } }, 'lease round failed'))
      .finally(() => (ticking = undefined)));

  await tick();
  const timer = setInterval(() => void tick(), Math.max(200, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    owned: () => ready,
    ownerOf: (p) => owners.get(p),
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      await ticking;
      for (const p of [...held.keys()]) await giveBack(p, false);
      await kv.delete(workerKey(workerId)).catch(() => undefined);
    },
  };
}
