/**
 * A NATS KV bucket followed into local state, across broker restarts (and `onReconnect`, for other watches).
 *
 * nats.js watches a bucket through an ordered push consumer. When the server restarts, that consumer is
 * gone, and the client only notices after missing its idle heartbeats: measured here, a consent change
 * written right after a restart reached the local view 12 s later (test/integration/broker-outage.test.ts),
 * while a process kept personalizing someone who had withdrawn. So on every reconnect the watch is made
 * again, from the revision after the last one applied: nothing in between is missed, and nothing waits
 * for the heartbeats. A revision already applied is never applied twice.
 */
import type { JetStreamClient, KV, KvEntry, NatsConnection, QueuedIterator } from 'nats';

export interface KvFollower {
  /** Resolves once every entry the bucket held when following began has been applied. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** `apply` gets each entry once, in revision order, with `live` false for those of the first sync. */
export async function followKv(js: JetStreamClient, kv: KV, apply: (entry: KvEntry, live: boolean) => void): Promise<KvFollower> {
  let initialized!: () => void;
  let isInitialized = false;
  const ready = new Promise<void>((resolve) => (initialized = resolve));
  let last = 0;
  let stopped = false;
  let watcher: QueuedIterator<KvEntry> | undefined;
  let loop: Promise<void> = Promise.resolve();

  const follow = async () => {
    // Before the first sync completed, start over (its sentinel is what `ready` waits for); after it, resume.
    const w = isInitialized
      ? await kv.watch({ resumeFromRevision: last + 1 })
      : await kv.watch({
          initializedFn: () => {
            isInitialized = true;
            initialized();
          },
        });
    watcher = w;
    loop = (async () => {
      for await (const entry of w) {
        if (entry.revision <= last) continue;
        last = entry.revision;
        apply(entry, isInitialized);
      }
    })();
  };
  await follow();

  const stopFollowing = onReconnect(js, async () => {
    watcher?.stop();
    await loop.catch(() => undefined);
    if (!stopped) await follow().catch(() => undefined);
    // stopped while the new watch was being made: it must not outlive the follower
    if (stopped) watcher?.stop();
  });

  return {
    ready,
    async stop() {
      stopped = true;
      stopFollowing();
      watcher?.stop();
      await loop.catch(() => undefined);
    },
  };
}

/**
 * Runs `fn` after each reconnect of the JetStream client's connection, one run at a time, until the
 * returned function is called: for watches that must be made again after a broker restart.
 */
export function onReconnect(js: JetStreamClient, fn: () => Promise<void>): () => void {
  let stopped = false;
  // nats.js keeps the connection on its JetStream client (its own KV code reads it there).
  const nc = (js as unknown as { nc?: NatsConnection }).nc;
  if (nc) {
    void (async () => {
      for await (const status of nc.status()) {
        if (stopped) return;
        if (status.type === 'reconnect') await fn().catch(() => undefined);
      }
    })().catch(() => undefined);
  }
  return () => {
    stopped = true;
  };
}
