/**
 * Point-in-time training rows on two threads. A row's subject and session features depend only on the
 * subject's events, and its item and category features only on the events of items and categories (see
 * buildPointInTimeRows): so this thread replays the events into subject and session state while a worker
 * thread replays the same events into item and category state, each reading its own entities at every
 * label, and the two halves of each row are put side by side. Every value is the one the single-threaded
 * build gives (test/features/parallel-build.test.ts), in about the time of the larger half.
 *
 * The worker is started on first use and kept (idle, it does not hold the process open): its start
 * (~0.2 s, most of it loading the sources through tsx) overlaps this thread's half, and later builds skip
 * it. `prewarmBuildWorker` starts it before a caller's own work (e.g. while event files are read).
 *
 * Single-threaded instead (the same result): with a purpose gate (`admits` is a function of this thread's
 * consent registry and cannot cross to the worker), when the labels read only one side, or when the events
 * are too few for a second thread to pay off.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_VIEWS, ENTITIES, type Entity } from './definitions.ts';
import { EventColumns } from './event-columns.ts';
import type { ItemSideJob, ItemSideResult } from './build-worker.ts';
import { FeatureStore, type FeatureEvent } from './online-store.ts';
import { buildPointInTimeRows, type LabelRow, type PointInTimeOptions, type TrainingRows } from './point-in-time.ts';

/** Below this many events a build runs on one thread: the worker's messages and start would cost more. */
export const PARALLEL_MIN_EVENTS = 200_000;

const PEOPLE: ReadonlySet<Entity> = new Set(['subject', 'session']);

export interface ParallelBuildOptions extends PointInTimeOptions {
  /**
   * 'auto' (default): two threads from PARALLEL_MIN_EVENTS events; true: two threads whenever the labels
   * read both sides and there is no purpose gate; false: one thread.
   */
  parallel?: boolean | 'auto';
}

export async function buildPointInTimeRowsInParallel(
  input: EventColumns | readonly FeatureEvent[],
  labels: readonly LabelRow[],
  options: ParallelBuildOptions = {},
): Promise<TrainingRows & { threads: number }> {
  const { parallel = 'auto', ...rest } = options;
  const events = input instanceof EventColumns ? input : EventColumns.from(input);
  const views = rest.views ?? DEFAULT_VIEWS;
  const entities = rest.entities ?? ENTITIES.filter((e) => views.some((v) => v.entity === e));
  const people = entities.filter((e) => PEOPLE.has(e));
  const things = entities.filter((e) => !PEOPLE.has(e));
  if (!parallel || rest.admits || people.length === 0 || things.length === 0 || (parallel === 'auto' && events.length < PARALLEL_MIN_EVENTS)) {
    return { ...buildPointInTimeRows(events, labels, rest), threads: 1 };
  }

  // One matrix in shared memory: each thread writes its entities' columns of every row.
  const names = new FeatureStore({ ...(rest.views ? { views: rest.views } : {}), histories: [] });
  const widths = entities.map((e) => names.featureNames(e).length);
  const columns = entities.flatMap((e) => names.featureNames(e));
  const offsetOf = new Map(entities.map((e, k) => [e, sum(widths.slice(0, k))]));
  const width = columns.length;
  const values = new Float32Array(new SharedArrayBuffer(labels.length * width * Float32Array.BYTES_PER_ELEMENT));

  const job: Omit<ItemSideJob, 'id'> = {
    columns: events.itemSide(),
    labelTs: Float64Array.from(labels, (l) => l.ts),
    labelItems: labels.map((l) => l.item || undefined),
    labelCategories: labels.map((l) => l.category || undefined),
    entities: things,
    into: { values, width, offsets: things.map((e) => offsetOf.get(e)!) },
    ...(rest.views ? { views: rest.views.filter((v) => things.includes(v.entity)) } : {}),
    ...(rest.histories ? { histories: rest.histories } : {}),
    ...(rest.allowedLatenessMs !== undefined ? { allowedLatenessMs: rest.allowedLatenessMs } : {}),
    ...(rest.sessionGapMs !== undefined ? { sessionGapMs: rest.sessionGapMs } : {}),
  };
  const theirs = runOnWorker(job);
  // The worker's failure is awaited (and thrown) after this thread's half, not left unhandled meanwhile.
  theirs.catch(() => {});
  const mine = buildPointInTimeRows(events, labels, { ...rest, entities: people, into: { values, width, offsets: people.map((e) => offsetOf.get(e)!) } });
  await theirs;
  return {
    columns,
    entities,
    widths,
    rows: labels.length,
    width,
    values,
    row: (i) => values.subarray(i * width, (i + 1) * width),
    // both threads applied the same events: this thread's counters are the build's
    store: mine.store,
    threads: 2,
  };
}

const sum = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0);

// -----------------------------------------------------------------------------------------------------
// The kept worker

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

let shared: { worker: Worker; pending: Map<number, Pending>; next: number } | undefined;

function buildWorker(): NonNullable<typeof shared> {
  if (shared) return shared;
  const worker = new Worker(new URL('./build-worker.mjs', import.meta.url));
  const state = { worker, pending: new Map<number, Pending>(), next: 1 };
  const fail = (err: Error) => {
    if (shared === state) shared = undefined;
    for (const p of state.pending.values()) p.reject(err);
    state.pending.clear();
  };
  worker.on('message', (result: ItemSideResult) => {
    const p = state.pending.get(result.id);
    if (!p) return;
    state.pending.delete(result.id);
    if (state.pending.size === 0) worker.unref();
    if (result.ok) p.resolve();
    else p.reject(Object.assign(new Error(`feature build worker: ${result.message}`), { stack: result.stack }));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`feature build worker exited (code ${code})`)));
  // after the listeners: adding a 'message' listener refs the worker's port again
  worker.unref();
  shared = state;
  return state;
}

function runOnWorker(job: Omit<ItemSideJob, 'id'>): Promise<void> {
  const state = buildWorker();
  const id = state.next++;
  return new Promise((resolve, reject) => {
    state.pending.set(id, { resolve, reject });
    // held open while a job is out: the caller awaits its answer
    state.worker.ref();
    // the columns and the rows are views of shared memory: posted as they are, not copied
    state.worker.postMessage({ ...job, id } satisfies ItemSideJob);
  });
}

/** Starts the build worker now, so that its start overlaps the caller's own work (no-op when it runs). */
export function prewarmBuildWorker(): void {
  buildWorker();
}

/** Stops the build worker (a later build starts another). */
export async function stopBuildWorker(): Promise<void> {
  const state = shared;
  shared = undefined;
  await state?.worker.terminate();
}
