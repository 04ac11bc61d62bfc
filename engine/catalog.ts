/**
 * The offer catalog (issue 6): what may be offered. One entry per item:
 * `id, category, price?, margin?, in_stock, eligible_from?, eligible_until?, tags?`. Items seen only in
 * events are valid offers with unknown price, so only `id` is required; `in_stock` defaults to true.
 *
 * Shared across replicas in the NATS KV bucket IOB_CATALOG, one key per item (the id, base64url: item ids
 * may hold characters KV keys may not). Loading a catalog replaces it: entries not in the new file are
 * deleted, so the bucket always equals the last file loaded.
 */
import type { JetStreamClient, KV } from 'nats';
import { MAX_PRICE } from './event-schema.ts';
import { followKv } from './kv-follower.ts';
import { z } from 'zod';

export const CATALOG_BUCKET = 'IOB_CATALOG';
const MAX_ID = 128;

const isoTime = z.iso.datetime({ offset: true });

export const CatalogEntrySchema = z
  .object({
    id: z.string().min(1).max(MAX_ID),
    category: z.string().min(1).max(MAX_ID).optional(),
    price: z.number().nonnegative().finite().max(MAX_PRICE).optional(),
    /** Share of the price the shop keeps (0–1), for ranking by business value. */
    margin: z.number().min(0).max(1).optional(),
    in_stock: z.boolean().default(true),
    eligible_from: isoTime.optional(),
    eligible_until: isoTime.optional(),
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
  })
  .strict()
  .refine((e) => e.eligible_from === undefined || e.eligible_until === undefined || Date.parse(e.eligible_from) <= Date.parse(e.eligible_until), {
    message: 'eligible_until is before eligible_from',
    path: ['eligible_until'],
  });

export type CatalogEntry = z.output<typeof CatalogEntrySchema>;

export interface CatalogLoadReport {
  items: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
}

export interface CatalogStore {
  /** Replaces the catalog with `entries` (ids must be unique); returns what changed. */
  replace(entries: readonly CatalogEntry[]): Promise<CatalogLoadReport>;
  get(id: string): Promise<CatalogEntry | undefined>;
  ids(): Promise<string[]>;
}

export function catalogKey(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function idOfKey(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

/** How many KV writes are in flight at once while loading. */
const CONCURRENCY = 256;

export async function openCatalogStore(js: JetStreamClient, options: { replicas?: number } = {}): Promise<CatalogStore> {
  const kv: KV = await js.views.kv(CATALOG_BUCKET, { history: 1, replicas: options.replicas ?? 1 });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const keys = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const k of await kv.keys()) out.push(k);
    return out;
  };
  return {
    async replace(entries) {
      const existing = new Set(await keys());
      const report: CatalogLoadReport = { items: entries.length, added: 0, updated: 0, unchanged: 0, removed: 0 };
      const keep = new Set<string>();
      const queue = [...entries];
      const worker = async (): Promise<void> => {
        for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
          const key = catalogKey(e.id);
          keep.add(key);
          const value = JSON.stringify(e);
          if (existing.has(key)) {
            const current = await kv.get(key);
            if (current && dec.decode(current.value) === value) {
              report.unchanged++;
              continue;
            }
            report.updated++;
          } else report.added++;
          await kv.put(key, enc.encode(value));
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
      for (const key of existing) {
        if (!keep.has(key)) {
          await kv.delete(key);
          report.removed++;
        }
      }
      return report;
    },
    async get(id) {
      const entry = await kv.get(catalogKey(id));
      if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
      return CatalogEntrySchema.parse(JSON.parse(dec.decode(entry.value)));
    },
    async ids() {
      return (await keys()).map(idOfKey).sort();
    },
  };
}

/**
 * A process's view of the shared catalog: every serving process watches IOB_CATALOG into a local map
 * (like the consent registry), so a ranking reads entries without I/O and follows `iob catalog load` or
 * `PUT /v1/catalog` made through any replica. `version` changes on every applied entry, so callers can
 * cache what they derive from the catalog (per-category item lists).
 */
export interface CatalogView {
  get(id: string): CatalogEntry | undefined;
  readonly size: number;
  /** bumped on every change seen by the watch */
  readonly version: number;
  entries(): IterableIterator<CatalogEntry>;
  /** Adds or replaces the given entries (others stay); resolves once written to KV. */
  upsert(entries: readonly CatalogEntry[]): Promise<{ added: number; updated: number; unchanged: number }>;
  /** Makes the catalog equal to `entries` (like `iob catalog load`). */
  replace(entries: readonly CatalogEntry[]): Promise<CatalogLoadReport>;
  /** Resolves once the watch has delivered the bucket's contents at open. */
  synced(): Promise<void>;
  /** Called for every change the watch applies (entry undefined: deleted); returns an unsubscribe. */
  onChange(listener: (id: string, entry: CatalogEntry | undefined) => void): () => void;
  /** Resolves once the local map holds `id` with exactly `entry` (tests, propagation checks). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function watchCatalog(js: JetStreamClient, options: { replicas?: number; onBadEntry?: (key: string) => void } = {}): Promise<CatalogView> {
  const kv: KV = await js.views.kv(CATALOG_BUCKET, { history: 1, replicas: options.replicas ?? 1 });
  const store = await openCatalogStore(js, options);
  const local = new Map<string, CatalogEntry>();
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  let version = 0;
  const waiters = new Set<() => void>();
  const listeners = new Set<(id: string, entry: CatalogEntry | undefined) => void>();
  const follower = await followKv(js, kv, (e) => {
    const id = idOfKey(e.key);
    if (e.operation === 'PUT' && e.value.length > 0) {
      const parsed = CatalogEntrySchema.safeParse(safeJson(dec.decode(e.value)));
      if (parsed.success) local.set(id, parsed.data);
      else {
        local.delete(id);
        options.onBadEntry?.(e.key);
      }
    } else local.delete(id);
    version++;
    for (const l of listeners) l(id, local.get(id));
    for (const w of waiters) w();
  });
  return {
    get: (id) => local.get(id),
    get size() {
      return local.size;
    },
    get version() {
      return version;
    },
    entries: () => local.values(),
    async upsert(entries) {
      const report = { added: 0, updated: 0, unchanged: 0 };
      for (const e of entries) {
        const key = catalogKey(e.id);
        const value = JSON.stringify(e);
        const current = await kv.get(key);
        if (current && current.operation === 'PUT' && current.value.length > 0) {
          if (dec.decode(current.value) === value) {
            report.unchanged++;
            continue;
          }
          report.updated++;
        } else report.added++;
        await kv.put(key, enc.encode(value));
      }
      return report;
    },
    replace: (entries) => store.replace(entries),
    synced: () => follower.ready,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitFor(predicate, timeoutMs = 5000) {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('catalog watch: condition not reached in time'));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => follower.stop(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
