/**
 * The consent registry: NATS KV bucket IOB_CONSENT keyed by pseudonymous subject id. Every process
 * watches the bucket and keeps a local map, so a check on the scoring hot path is a map lookup, and a
 * change made through any replica reaches all of them without a restart (KV watch push).
 */
import type { JetStreamClient, KV, KvEntry } from 'nats';
import { followKv } from '../kv-follower.ts';
import type { Purpose } from '../purposes.ts';
import { allowedAt, withChanges, type ConsentChange, type ConsentRecord } from './consent-record.ts';

export const CONSENT_BUCKET = 'IOB_CONSENT';

export interface ConsentListener {
  (sid: string, before: ConsentRecord | undefined, after: ConsentRecord | undefined): void;
}

export interface ConsentRegistry {
  /** Local view: no I/O. */
  allowed(sid: string, purpose: Purpose, t?: number): boolean;
  get(sid: string): ConsentRecord | undefined;
  /**
   * Records changes (optimistic concurrency on the KV revision); resolves with the new record once this
   * process's own view (and its listeners: purges) reflects it, so a caller reads its own write.
   */
  record(sid: string, changes: ConsentChange[]): Promise<ConsentRecord>;
  /** Replaces the record by a tombstone holding no changes (erasure). */
  erase(sid: string, at?: number): Promise<void>;
  /** The KV revisions of a subject's record, oldest first. */
  history(sid: string): Promise<{ revision: number; record: ConsentRecord | undefined; created: Date }[]>;
  onChange(listener: ConsentListener): () => void;
  /** Resolves once the local view reflects the bucket as of the call. */
  synced(): Promise<void>;
  readonly size: number;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const decode = (e: KvEntry): ConsentRecord | undefined =>
  e.operation === 'PUT' && e.value.length ? (JSON.parse(decoder.decode(e.value)) as ConsentRecord) : undefined;

export async function openConsentRegistry(js: JetStreamClient, options: { replicas?: number } = {}): Promise<ConsentRegistry> {
  const kv: KV = await js.views.kv(CONSENT_BUCKET, { history: 64, replicas: options.replicas ?? 1 });
  const local = new Map<string, ConsentRecord>();
  /** writers waiting for the watch to deliver their revision (read-your-writes without bypassing listeners) */
  const pending = new Set<{ key: string; revision: number; done: () => void }>();
  /** the last revision the watch applied per key (the watch may deliver a write before its writer resumes) */
  const applied = new Map<string, number>();
  const listeners = new Set<ConsentListener>();
  const follower = await followKv(js, kv, (entry) => {
    const before = local.get(entry.key);
    const after = decode(entry);
    if (after) local.set(entry.key, after);
    else local.delete(entry.key);
    for (const l of listeners) l(entry.key, before, after);
    applied.set(entry.key, entry.revision);
    for (const w of pending) if (w.key === entry.key && entry.revision >= w.revision) w.done();
  });

  /** Resolves once the watch has applied `revision` of `key` (or after a bound, should the watch lag). */
  function seen(key: string, revision: number): Promise<void> {
    if ((applied.get(key) ?? 0) >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        key,
        revision,
        done: () => {
          clearTimeout(timer);
          pending.delete(w);
          resolve();
        },
      };
      const timer = setTimeout(w.done, 2000);
      timer.unref();
      pending.add(w);
    });
  }

  async function update(sid: string, next: (current: ConsentRecord | undefined) => ConsentRecord): Promise<ConsentRecord> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await kv.get(sid);
      const current = entry ? decode(entry) : undefined;
      const value = next(current);
      const bytes = encoder.encode(JSON.stringify(value));
      try {
        const revision = entry ? await kv.update(sid, bytes, entry.revision) : await kv.create(sid, bytes);
        await seen(sid, revision);
        return value;
      } catch (err) {
        if (attempt === 9) throw err;
        // someone else wrote in between: read again and re-apply
      }
    }
    throw new Error('unreachable');
  }

  return {
    allowed: (sid, purpose, t = Date.now()) => allowedAt(local.get(sid), purpose, t),
    get: (sid) => local.get(sid),
    record: (sid, changes) => update(sid, (current) => withChanges(current?.erasedAt ? undefined : current, changes)),
    async erase(sid, at = Date.now()) {
      await update(sid, () => ({ v: 1, changes: [], erasedAt: at }));
    },
    async history(sid) {
      const out: { revision: number; record: ConsentRecord | undefined; created: Date }[] = [];
      const it = await kv.history({ key: sid });
      for await (const e of it) out.push({ revision: e.revision, record: decode(e), created: e.created });
      return out;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    synced: () => follower.ready,
    get size() {
      return local.size;
    },
    close: () => follower.stop(),
  };
}
