/**
 * The erasure list: pseudonymous ids of erased subjects (NATS KV IOB_ERASURES), watched into a local
 * set. Every training-set build excludes them, so a rebuilt set never brings an erased person back.
 */
import type { JetStreamClient, KV } from 'nats';
import { followKv } from './kv-follower.ts';

export const ERASURE_BUCKET = 'IOB_ERASURES';

export interface ErasureList {
  has(sid: string): boolean;
  add(sid: string, at?: number): Promise<void>;
  all(): string[];
  close(): Promise<void>;
}

export interface ErasureListOptions {
  replicas?: number;
  /** called for each erasure listed after the list was opened, by this process or another */
  onErased?: (sid: string) => void;
}

export async function openErasureList(js: JetStreamClient, options: ErasureListOptions = {}): Promise<ErasureList> {
  const kv: KV = await js.views.kv(ERASURE_BUCKET, { history: 1, replicas: options.replicas ?? 1 });
  const erased = new Set<string>();
  const follower = await followKv(js, kv, (e, live) => {
    if (e.operation !== 'PUT') return;
    erased.add(e.key);
    if (live) options.onErased?.(e.key);
  });
  await follower.ready;
  const enc = new TextEncoder();
  return {
    has: (sid) => erased.has(sid),
    async add(sid, at = Date.now()) {
      await kv.put(sid, enc.encode(JSON.stringify({ at })));
      erased.add(sid);
      options.onErased?.(sid);
    },
    all: () => [...erased],
    close: () => follower.stop(),
  };
}
