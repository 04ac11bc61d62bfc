/**
 * Partition leases in a NATS KV bucket (IOB_LEASES, TTL = lease TTL): which worker owns which partition of
 * the event stream. Every worker heartbeats `worker.<id>`, counts the live workers, and holds its fair share
 * ceil(N / workers): it renews its leases (compare-and-set on the revision it holds, so a lease taken over
 * while this worker stalled is noticed and dropped), takes free ones with `create` (which fails while
 * another worker's lease lives), and hands back extras when workers join. A dead worker stops renewing;
 * its leases expire after the TTL and the survivors take them.
 *
 * Taking a partition calls `acquire` (restore its state, start its consumer) before the lease counts as
 * held for serving; handing one back calls `release` before the lease is deleted, so two workers never
 * apply one partition at the same time except for the bounded window of a stalled worker whose lease
 * expired — which is why state is idempotent by stream sequence.
 *
 * A lease that lapses while no other worker holds it (the bucket was unreachable for longer than the TTL:
 * a cluster node died, a leader was being elected) is paused, not lost: the partition stops applying and
 * serving, keeps its state, and resumes from it when this worker takes the lease again — a single worker
 * riding out a broker hiccup does not replay its partitions from the last snapshot.
 *
 * Every round is plain requests with a timeout (puts, direct gets, one stream info), never a consumer, so a
 * node dying mid-round fails the round instead of hanging it: a KV key listing waits on an ordered
 * consumer, which can stay silent when the node serving it dies, and a stuck round renews nothing.
 */
import type { JetStreamManager, KV, KvEntry, NatsConnection } from 'nats';
import type { Logger } from '../logger.ts';
import { whenPlaceable } from '../jetstream-placement.ts';

export const LEASES_BUCKET = 'IOB_LEASES';

/**
 * How a partition leaves this worker: `handover` (it goes to another worker: snapshot it), `lost` (another
 * worker holds it already: drop the state, write nothing), `pause` (the lease lapsed and no one else holds
 * it: stop applying, keep the state for the next `acquire`).
 */
export type ReleaseMode = 'handover' | 'lost' | 'pause';

export interface LeaseHandlers {
  /** Start applying a partition: resume what a pause kept, or restore it. */
  acquire(partition: number): Promise<void>;
  /** Stop applying a partition (see ReleaseMode); `lost` also drops what an earlier pause kept. */
  release(partition: number, mode: ReleaseMode): Promise<void>;
}

export interface PartitionLeases {
  /** partitions this worker holds and has finished acquiring */
  owned(): ReadonlySet<number>;
  /** the worker id holding a partition, as last read (undefined: free or unknown) */
  ownerOf(partition: number): string | undefined;
  /** one round of heartbeat, renewal, acquisition and release now (the timer does the same) */
  tick(): Promise<void>;
  /** resolves once the acquisitions and releases started so far have finished (rounds do not wait for them) */
  idle(): Promise<void>;
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

interface Lease {
  worker: string;
  revision: number;
}

const RELEASED: Record<ReleaseMode, string> = {
  handover: 'partition released',
  lost: 'partition lease lost to another worker',
  pause: 'partition lease lapsed with no other holder; applying paused, state kept',
};
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const partitionKey = (p: number) => `partition.${p}`;
const workerKey = (id: string) => `worker.${id}`;
const holderOf = (entry: KvEntry | null | undefined): Lease | undefined =>
  entry && entry.operation === 'PUT' ? { worker: (JSON.parse(decoder.decode(entry.value)) as { worker: string }).worker, revision: entry.revision } : undefined;

export async function startPartitionLeases(nc: NatsConnection, options: LeaseOptions, handlers: LeaseHandlers): Promise<PartitionLeases> {
  const { partitions, workerId, ttlMs, log } = options;
  // A request that cannot be answered within half a TTL would renew a lease that has nearly lapsed anyway.
  const js = nc.jetstream({ timeout: Math.min(5000, Math.max(500, Math.floor(ttlMs / 2))) });
  const jsm: JetStreamManager = await js.jetstreamManager();
  const kv: KV = await whenPlaceable(() => js.views.kv(LEASES_BUCKET, { ttl: ttlMs, history: 1, replicas: options.replicas ?? 1 }), {
    onWait: (reason) => log.warn({ reason }, 'JetStream cannot place the lease bucket yet; waiting'),
  });
  const kvStream = `KV_${LEASES_BUCKET}`;
  const kvPrefix = `$KV.${LEASES_BUCKET}.`;
  /** partition → the KV revision of our lease */
  const held = new Map<number, number>();
  /** partition → when our lease was last written */
  const renewedAt = new Map<number, number>();
  /** partitions whose lease lapsed with nobody else holding it: state kept, nothing applied */
  const paused = new Set<number>();
  const ready = new Set<number>();
  let owners = new Map<number, Lease>();
  const value = () => encoder.encode(JSON.stringify({ worker: workerId, at: Date.now() }));
  // Start the scan for free partitions at a worker-specific offset, so workers starting together spread out.
  let offset = 0;
  for (const c of workerId) offset = (offset * 31 + c.charCodeAt(0)) % partitions;

  /** Live workers: worker keys whose last entry is a heartbeat (a deleted key keeps a marker until the TTL). */
  async function liveWorkers(): Promise<number> {
    const info = await jsm.streams.info(kvStream, { subjects_filter: `${kvPrefix}worker.>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(kvPrefix.length));
    const entries = await Promise.all(keys.map((k) => kv.get(k)));
    return entries.filter((e) => e?.operation === 'PUT').length;
  }

  async function readOwners(): Promise<Map<number, Lease>> {
    const entries = await Promise.all(Array.from({ length: partitions }, (_, p) => kv.get(partitionKey(p))));
    const read = new Map<number, Lease>();
    entries.forEach((e, p) => {
      const lease = holderOf(e);
      if (lease) read.set(p, lease);
    });
    return read;
  }

  /**
   * Acquiring and releasing run per partition in order, off the round: a restore or a consumer set up
   * against a cluster that is still electing leaders can take several request timeouts, and a round that
   * waited for it would renew none of the other leases meanwhile (they lapsed so in the failover test).
   */
  const work = new Map<number, Promise<void>>();
  const settled = new Set<Promise<void>>();
  function queue(p: number, job: () => Promise<void>): Promise<void> {
    const next = (work.get(p) ?? Promise.resolve()).then(job);
    const tracked = next.finally(() => {
      settled.delete(tracked);
      if (work.get(p) === tracked) work.delete(p);
    });
    work.set(p, tracked);
    settled.add(tracked);
    return tracked;
  }

  async function take(p: number): Promise<void> {
    let revision: number;
    try {
      // Our own lease still in the bucket (written by a renewal that timed out, or paused): take it back by
      // its revision; anyone else's: `create` fails while it lives.
      const own = owners.get(p);
      revision = own?.worker === workerId ? await kv.update(partitionKey(p), value(), own.revision) : await kv.create(partitionKey(p), value());
    } catch {
      return; // someone holds it, or the bucket did not answer
    }
    held.set(p, revision);
    renewedAt.set(p, Date.now());
    owners.set(p, { worker: workerId, revision });
    const resumed = paused.delete(p);
    void queue(p, async () => {
      if (!held.has(p)) return; // given back before its turn came
      try {
        await handlers.acquire(p);
      } catch (err) {
        log.error({ err, partition: p }, 'partition could not be acquired; handing the lease back');
        const current = held.get(p);
        if (current === undefined) return;
        held.delete(p);
        if (resumed) paused.add(p); // the state is still kept
        await kv.delete(partitionKey(p), { previousSeq: current }).catch(() => undefined);
        return;
      }
      // Given back while it was being acquired: the release queued behind this job undoes it.
      if (!held.has(p)) return;
      ready.add(p);
      log.info({ partition: p }, resumed ? 'partition lease taken back; applying resumed' : 'partition acquired');
    });
  }

  function giveBack(p: number, mode: ReleaseMode): Promise<void> {
    ready.delete(p);
    const revision = held.get(p);
    held.delete(p);
    if (mode === 'pause') paused.add(p);
    else paused.delete(p);
    if (mode === 'handover' && owners.get(p)?.worker === workerId) owners.delete(p);
    return queue(p, async () => {
      try {
        await handlers.release(p, mode);
      } catch (err) {
        log.error({ err, partition: p }, 'partition release failed');
      }
      // Deleted only once released: the next holder restores the snapshot the release wrote.
      if (mode === 'handover' && revision !== undefined) await kv.delete(partitionKey(p), { previousSeq: revision }).catch(() => undefined);
      log.info({ partition: p, mode }, RELEASED[mode]);
    });
  }

  async function renew(p: number, revision: number): Promise<void> {
    const owner = owners.get(p);
    if (owner && owner.worker !== workerId) return void giveBack(p, 'lost'); // taken over while this worker stalled
    // An acquisition that failed meanwhile gives the partition back: a renewal finishing after that must not
    // make it held again (the lease it wrote is still ours by name; the next round takes it and acquires anew).
    const stillHeld = () => held.get(p) === revision;
    try {
      // The revision just read wins over ours: a renewal that timed out may still have been written.
      const next = await kv.update(partitionKey(p), value(), owner?.revision ?? revision);
      if (!stillHeld()) return;
      held.set(p, next);
      renewedAt.set(p, Date.now());
      owners.set(p, { worker: workerId, revision: next });
    } catch {
      let entry: KvEntry | null | undefined;
      let answered = true;
      try {
        entry = await kv.get(partitionKey(p));
      } catch {
        answered = false;
      }
      if (!stillHeld()) return;
      const lease = holderOf(entry);
      if (lease?.worker === workerId) held.set(p, lease.revision);
      else if (lease) void giveBack(p, 'lost');
      // Gone from the bucket, or unanswered for longer than a TTL: lapsed. The take below (or the next
      // round's) resumes it from the state kept, with its consumer restarted at that state's sequence.
      else if (answered || Date.now() - (renewedAt.get(p) ?? 0) > ttlMs) void giveBack(p, 'pause');
    }
  }

  let ticking: Promise<void> | undefined;
  let closed = false;
  async function round(): Promise<void> {
    // Renewals go first and depend on nothing else: a heartbeat or a read that times out must not cost the
    // leases this worker holds (each renewal is a compare-and-set, so it needs no fresh read).
    const heartbeat = kv.put(workerKey(workerId), value());
    const reading = Promise.all([liveWorkers(), readOwners()]);
    heartbeat.catch(() => undefined);
    reading.catch(() => undefined);
    await Promise.all([...held].map(([p, revision]) => renew(p, revision)));
    await heartbeat;
    const [workers, read] = await reading;
    for (const [p, revision] of held) read.set(p, { worker: workerId, revision });
    owners = read;
    // What a pause kept is stale once another worker holds the partition.
    for (const p of [...paused]) {
      const owner = owners.get(p);
      if (owner && owner.worker !== workerId) void giveBack(p, 'lost');
    }
    const target = Math.ceil(partitions / Math.max(1, workers));
    for (let i = 0; i < partitions && held.size < target && !closed; i++) {
      const p = (offset + i) % partitions;
      const owner = owners.get(p);
      if (!held.has(p) && (!owner || owner.worker === workerId)) await take(p);
    }
    // Hand back the surplus (a worker joined), highest partitions first.
    const surplus = [...held.keys()].sort((a, b) => b - a).slice(0, Math.max(0, held.size - target));
    for (const p of surplus) void giveBack(p, 'handover');
  }
  const tick = () =>
    (ticking ??= round()
      .catch((err) => log.warn({ err: { message: (err as Error).message } }, 'lease round failed'))
      .finally(() => (ticking = undefined)));

  const idle = async () => {
    while (settled.size) await Promise.all([...settled]);
  };
  // The first round's acquisitions are waited for: a worker starts serving with its partitions in place.
  await tick();
  await idle();
  const timer = setInterval(() => void tick(), Math.max(200, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    owned: () => ready,
    ownerOf: (p) => owners.get(p)?.worker,
    tick,
    idle,
    async close() {
      closed = true;
      clearInterval(timer);
      await ticking;
      for (const p of [...held.keys()]) void giveBack(p, 'handover');
      await idle();
      await kv.delete(workerKey(workerId)).catch(() => undefined);
    },
  };
}
