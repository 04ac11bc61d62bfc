/**
 * A worker's share of the personal state on a partitioned deployment: one FeatureStore (subject and
 * session views) per partition it leases, each fed by its own durable consumer filtered to
 * `iob.events.<p>.*`, and snapshotted to the NATS object store (IOB_SNAPSHOTS, `features-p<p>`) — so the
 * worker that takes a partition over restores the last snapshot and replays only what came after it.
 *
 * Aggregate state (item and category views, demand histories) is not partitioned: every worker keeps it
 * for the whole stream (engine.ts), as the small global table every ranking and forecast reads.
 */
import type { JetStreamClient, JetStreamManager, NatsConnection, ObjectStore } from 'nats';
import { partitionOf, partitionSubject } from '../event-log.ts';
import type { Logger } from '../logger.ts';
import { FeatureStore, type FeatureStoreOptions } from '../features/online-store.ts';
import { snapshotFromObjectStore, snapshotToObjectStore, type SnapshotAttachment } from '../features/snapshot.ts';
import { startStreamConsumer, type EventSink, type StreamConsumer } from '../stream-consumer.ts';
import { startPartitionLeases, type PartitionLeases } from './partition-leases.ts';

export const SNAPSHOTS_BUCKET = 'IOB_SNAPSHOTS';

export interface PartitionedStateOptions {
  partitions: number;
  workerId: string;
  leaseTtlMs: number;
  replicas: number;
  consumerName: string;
  snapshotIntervalMs: number;
  /**
   * State a partition's consumer feeds beside its store (through `sinkFor`), carried in the partition's
   * snapshot so a takeover restores it at the same sequence (e.g. the offers state of the partition's subjects).
   */
  attachmentsFor?: (partition: number) => readonly SnapshotAttachment[];
  /** A partition left this worker (or is taken without a snapshot): forget what the attachments hold for it. */
  forget?: (partition: number) => void;
  /** the options of every partition's store (its views, the purpose gate) */
  storeOptions: FeatureStoreOptions;
  /** wraps a store into what its consumer applies events to (the purpose gate) */
  sinkFor(store: FeatureStore): EventSink;
  log: Logger;
}

export interface PartitionedState {
  readonly partitions: number;
  /** the store holding `sid`'s state, when this worker owns its partition */
  storeFor(sid: string): FeatureStore | undefined;
  /**
   * Every store of `sid`'s partition this worker keeps, applying or paused (its lease lapsed and it waits
   * to be taken back): what a purge must reach, so resuming a paused partition never brings purged data back.
   */
  keptFor(sid: string): FeatureStore | undefined;
  /** the worker owning `sid`'s partition, as last read from the leases */
  ownerOf(sid: string): string | undefined;
  owned(): number[];
  stores(): FeatureStore[];
  /** resolves once every owned partition has applied what it holds up to stream sequence `seq` */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  leases: PartitionLeases;
  close(): Promise<void>;
}

interface Partition {
  store: FeatureStore;
  consumer: StreamConsumer;
}

const snapshotName = (p: number) => `features-p${p}`;

export async function startPartitionedState(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, options: PartitionedStateOptions): Promise<PartitionedState> {
  const { partitions, log } = options;
  const os: ObjectStore = await js.views.os(SNAPSHOTS_BUCKET, { replicas: options.replicas });
  const held = new Map<number, Partition>();
  /** stores of partitions whose lease lapsed with no other holder: kept to resume from */
  const paused = new Map<number, FeatureStore>();

  const snapshot = async (p: number, part: Partition) => {
    const info = await snapshotToObjectStore(os, snapshotName(p), part.store, options.attachmentsFor?.(p));
    log.debug({ partition: p, lastSeq: part.store.lastSeq, bytes: info.size }, 'partition snapshot written');
  };

  const leases = await startPartitionLeases(
    nc,
    { partitions, workerId: options.workerId, ttlMs: options.leaseTtlMs, replicas: options.replicas, log },
    {
      async acquire(p) {
        const kept = paused.get(p);
        paused.delete(p);
        const restored = kept
          ? undefined
          : await snapshotFromObjectStore(os, snapshotName(p), options.storeOptions, options.attachmentsFor?.(p)).catch((err) => {
              log.warn({ partition: p, err: { message: (err as Error).message } }, 'partition snapshot unreadable; replaying the partition');
              return undefined;
            });
        if (!kept && !restored) options.forget?.(p);
        const store = kept ?? restored ?? new FeatureStore(options.storeOptions);
        // The consumer starts just past what the store reflects, so a resumed store misses nothing another
        // worker may have consumed while the lease had lapsed.
        const consumer = await startStreamConsumer(js, jsm, {
          durable: `${options.consumerName}-p${p}`,
          filterSubject: partitionSubject(p),
          sink: options.sinkFor(store),
          log: log.child({ partition: p }),
        }).catch((err) => {
          if (kept) paused.set(p, kept);
          throw err;
        });
        held.set(p, { store, consumer });
        const how = kept ? 'partition resumed from the state kept; applying after it' : restored ? 'partition restored from snapshot; replaying after it' : 'partition replayed from the stream';
        log.info({ partition: p, fromSeq: store.lastSeq }, how);
      },
      async release(p, mode) {
        const part = held.get(p);
        held.delete(p);
        if (part) {
          if (mode === 'pause') paused.set(p, part.store);
          await part.consumer.stop();
          if (mode === 'handover') await snapshot(p, part);
        }
        if (mode === 'pause') return;
        paused.delete(p);
        options.forget?.(p);
      },
    },
  );

  const timer = setInterval(() => {
    for (const [p, part] of held) void snapshot(p, part).catch((err) => log.warn({ err, partition: p }, 'partition snapshot failed'));
  }, options.snapshotIntervalMs);
  timer.unref();

  return {
    partitions,
    storeFor: (sid) => held.get(partitionOf(sid, partitions))?.store,
    keptFor: (sid) => {
      const p = partitionOf(sid, partitions);
      return held.get(p)?.store ?? paused.get(p);
    },
    ownerOf: (sid) => leases.ownerOf(partitionOf(sid, partitions)),
    owned: () => [...held.keys()].sort((a, b) => a - b),
    stores: () => [...held.values()].map((x) => x.store),
    async waitFor(seq, timeoutMs) {
      await Promise.all([...held.values()].map((x) => x.consumer.waitForFiltered(seq, timeoutMs)));
    },
    leases,
    async close() {
      clearInterval(timer);
      await leases.close();
    },
  };
}
