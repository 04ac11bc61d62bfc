/**
 * Feature store snapshots: the whole state (with the last applied stream sequence and the watermark) as one
 * msgpackr document. Restoring a snapshot and replaying the stream from lastSeq + 1 gives the same state as
 * never having stopped, because the store applies by sequence exactly once and its state depends only on
 * the set of applied events.
 *
 * Typed arrays travel as raw little-endian bytes tagged with their type (msgpackr alone would turn them
 * into plain byte buffers and lose the element type).
 *
 * Attachments (state kept beside the store, e.g. the offers' recent items) are saved in parts, each packed
 * alone. The engine's periodic snapshot lets the event loop run between parts while its consumer is held
 * (no event is applied meanwhile; purges are handled in encodeSteps): packing a million subjects' recent
 * items in one go was seconds of stalled requests every snapshot interval (~0.4 s already at 20,000
 * subjects on the 2-core test machine).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Packr } from 'msgpackr';
import type { ObjectInfo, ObjectStore } from 'nats';
import { FeatureStore, type FeatureStoreOptions, type FeatureStoreSnapshot } from './online-store.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });

type Tagged = { $typed: 'i32' | 'f64' | 'u8'; bytes: Uint8Array };

function tag(value: unknown): unknown {
  if (value instanceof Int32Array) return { $typed: 'i32', bytes: bytesOf(value) } satisfies Tagged;
  if (value instanceof Float64Array) return { $typed: 'f64', bytes: bytesOf(value) } satisfies Tagged;
  if (value instanceof Uint8Array) return { $typed: 'u8', bytes: bytesOf(value) } satisfies Tagged;
  if (Array.isArray(value)) return value.map(tag);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tag(v)]));
  return value;
}

function untag(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untag);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const t = value as Partial<Tagged>;
    if (t.$typed && t.bytes instanceof Uint8Array) {
      // copy into a fresh, aligned buffer: decoded bytes may sit at any offset of the input
      const buffer = new ArrayBuffer(t.bytes.byteLength);
      new Uint8Array(buffer).set(t.bytes);
      return t.$typed === 'i32' ? new Int32Array(buffer) : t.$typed === 'f64' ? new Float64Array(buffer) : new Uint8Array(buffer);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untag(v)]));
  }
  return value;
}

const bytesOf = (a: Int32Array | Float64Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * State fed by the same consumer as the store (so it reflects the same stream sequence) that travels in the
 * store's snapshot, under its name: e.g. the online offers state (engine/recent-items.ts). Its state is
 * packed as is (plain values, no typed arrays).
 */
export interface SnapshotAttachment {
  name: string;
  /** Its state in parts of at most `size` units (subjects, say) each; at least one part. */
  saveParts(size: number): Iterable<unknown>;
  /** The parts saveParts gave, in order (a snapshot written before parts existed holds one). */
  restore(parts: readonly unknown[]): void;
  /**
   * A count that moves whenever the state changes other than through the held consumer (a purge on erasure
   * or consent withdrawal): parts saved before such a change are saved again, so a purged subject is not written.
   */
  changes?(): number;
}

/** Attempts at saving the attachments with the event loop running between parts; the last one runs through. */
const YIELDING_ATTEMPTS = 2;

/** Units per attachment part: small enough that packing one is a few milliseconds. */
const ATTACHMENT_PART_SIZE = 500;

/** Attachments as written: each part packed alone (and copied out of the packer's reusable buffer). */
interface PackedAttachment {
  parts: Uint8Array[];
}
const isPacked = (value: unknown): value is PackedAttachment => typeof value === 'object' && value !== null && Array.isArray((value as PackedAttachment).parts);

/** The encoding, step by step: the generator yields after each attachment part. */
function* encodeSteps(store: FeatureStore, attachments: readonly SnapshotAttachment[]): Generator<void, Uint8Array> {
  const changes = () => attachments.reduce((n, a) => n + (a.changes?.() ?? 0), 0);
  let packed: Record<string, PackedAttachment> | undefined;
  for (let attempt = 0; attachments.length > 0; attempt++) {
    const before = changes();
    packed = {};
    for (const a of attachments) {
      const parts: Uint8Array[] = [];
      for (const part of a.saveParts(ATTACHMENT_PART_SIZE)) {
        parts.push(Uint8Array.from(packr.pack(part)));
        if (attempt < YIELDING_ATTEMPTS) yield;
      }
      packed[a.name] = { parts };
    }
    if (changes() === before) break;
  }
  // The store's state last, in the step that packs it: purges run between attachment parts (the consumer
  // is held, purges are not), and its counts and free lists, read here, must agree with its arrays.
  const state = tag(store.snapshotState()) as Record<string, unknown>;
  if (packed) state.attachments = tag(packed);
  return packr.pack(state);
}

export function encodeSnapshot(store: FeatureStore, attachments: readonly SnapshotAttachment[] = []): Uint8Array {
  const steps = encodeSteps(store, attachments);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `encodeSnapshot`, letting the event loop run between attachment parts. The caller applies no events until
 * it resolves (the engine holds its consumer: the store is read at the end, so an event applied meanwhile
 * would be in the store and not in the attachments parts saved before it). Purges may run meanwhile: the
 * store is read after them, and an attachment that counts them (`changes`) is saved again.
 */
export async function encodeSnapshotYielding(store: FeatureStore, attachments: readonly SnapshotAttachment[] = []): Promise<{ data: Uint8Array; busyMs: number }> {
  const steps = encodeSteps(store, attachments);
  let busyMs = 0;
  for (;;) {
    const started = performance.now();
    const step = steps.next();
    busyMs += performance.now() - started;
    if (step.done) return { data: step.value, busyMs };
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Rebuilds a store from `encodeSnapshot` output; the options must describe the same feature definitions.
 * Each attachment the snapshot holds is restored (one it does not hold is left as it is).
 */
export function decodeSnapshot(data: Uint8Array, options: FeatureStoreOptions = {}, attachments: readonly SnapshotAttachment[] = []): FeatureStore {
  let state: FeatureStoreSnapshot;
  let attached: Record<string, unknown> | undefined;
  try {
    const { attachments: saved, ...rest } = packr.unpack(data) as Record<string, unknown>;
    attached = saved as Record<string, unknown> | undefined;
    state = untag(rest) as FeatureStoreSnapshot;
  } catch (err) {
    throw new Error(`not a readable feature store snapshot (${(err as Error).message})`);
  }
  if (state?.format !== 'iob-feature-store') throw new Error('not a feature store snapshot');
  if (state.version !== 1) throw new Error(`feature store snapshot version ${state.version} is not supported`);
  const store = new FeatureStore(options, state);
  for (const a of attachments) {
    const saved = attached?.[a.name];
    if (saved === undefined) continue;
    const parts = isPacked(saved) ? (untag(saved.parts) as Uint8Array[]).map((bytes) => packr.unpack(bytes) as unknown) : [saved];
    a.restore(parts);
  }
  return store;
}

/**
 * Writes the snapshot atomically: to a temporary file beside `path`, flushed to disk, then renamed over it
 * (and the directory flushed), so a crash leaves either the old snapshot or the new one, never half of one.
 * The folder is created when missing (a fresh data dir has none).
 */
export async function writeSnapshot(
  path: string,
  store: FeatureStore,
  attachments: readonly SnapshotAttachment[] = [],
  /** Pauses whatever changes the state (the consumer) until the returned function is called. */
  hold?: () => () => void,
): Promise<{ bytes: number; lastSeq: number; busyMs: number }> {
  const release = hold?.();
  let data: Uint8Array;
  let busyMs: number;
  let lastSeq: number;
  try {
    ({ data, busyMs } = await encodeSnapshotYielding(store, attachments));
    lastSeq = store.lastSeq;
  } finally {
    release?.();
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return { bytes: data.byteLength, lastSeq, busyMs };
}

/** Reads a snapshot written by writeSnapshot; undefined when there is none yet. */
export async function readSnapshot(path: string, options: FeatureStoreOptions = {}, attachments: readonly SnapshotAttachment[] = []): Promise<FeatureStore | undefined> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeSnapshot(data, options, attachments);
}

/** Stores the snapshot as object `name` of a NATS object store (`await js.views.os(bucket)`), for takeover by another worker. */
export async function snapshotToObjectStore(os: ObjectStore, name: string, store: FeatureStore, attachments: readonly SnapshotAttachment[] = []): Promise<ObjectInfo> {
  const data = encodeSnapshot(store, attachments);
  return os.putBlob({ name, description: `feature store at stream sequence ${store.lastSeq}` }, data);
}

/** Reads a snapshot stored by snapshotToObjectStore; undefined when the object does not exist. */
export async function snapshotFromObjectStore(
  os: ObjectStore,
  name: string,
  options: FeatureStoreOptions = {},
  attachments: readonly SnapshotAttachment[] = [],
): Promise<FeatureStore | undefined> {
  const data = await os.getBlob(name);
  return data ? decodeSnapshot(data, options, attachments) : undefined;
}
