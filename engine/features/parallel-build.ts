/**
 * Point-in-time training rows on two threads. A row's subject and session features depend only on the
 * subject's events, and its item and category features only on the events of items and categories (see
 * buildPointInTimeRows): so this thread replays the events into subject and session state while a worker
 * thread replays the same events into item and category state, and each writes its own entities' columns
 * of every row into one matrix in shared memory (the returned `values` are a view of a SharedArrayBuffer).
 * Every value is the one the single-threaded build gives (test/features/parallel-build.test.ts), in about
 * the time of the larger half. The event columns are shared, not copied (event-columns.ts).
 *
 * The worker is started on first use and kept (idle, it does not hold the process open): its start
 * (~0.2 s, most of it loading the sources through tsx) overlaps this thread's half, and later builds skip
 * it. `prewarmBuildWorker` starts it before a caller's own work (e.g. while event files are read). A worker
 * that fails leaves its columns to this thread (`threads` is then 1), and an error on this thread stops
 * the worker's half.
 *
 * Single-threaded instead (the same result): with a purpose gate (`admits` is a function of this thread's
 * consent registry and cannot cross to the worker), when the entities asked for are all on one side, or
 * when the events are too few for a second thread to pay off.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_VIEWS, type Entity } from './definitions.ts';
import { EventColumns } from './event-columns.ts';
import type { ItemSideJob, ItemSideResult } from './build-worker.ts';
import { FeatureStore, type FeatureEvent } from './online-store.ts';
import { buildPointInTimeRows, entitiesWithViews, rowLayout, trainingRows, type LabelRow, type PointInTimeOptions, type TrainingRows } from './point-in-time.ts';

/** Below this many events a build runs on one thread: the worker's messages and start would cost more. */
export const PARALLEL_MIN_EVENTS = 200_000;

const PEOPLE: ReadonlySet<Entity> = new Set(['subject', 'session']);

export interface ParallelBuildOptions extends Omit<PointInTimeOptions, 'into'> {
  /**
   * 'auto' (default): two threads from PARALLEL_MIN_EVENTS events; true: two threads whenever the
   * entities are on both sides and there is no purpose gate; false: one thread.
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
  const entities = rest.entities ?? entitiesWithViews(rest.views ?? DEFAULT_VIEWS);
  const people = entities.filter((e) => PEOPLE.has(e));
  const things = entities.filter((e) => !PEOPLE.has(e));
  if (!parallel || rest.admits || people.length === 0 || things.length === 0 || (parallel === 'auto' && events.length < PARALLEL_MIN_EVENTS)) {
    return { ...buildPointInTimeRows(events, labels, rest), threads: 1 };
  }

  // One matrix in shared memory: each thread writes its entities' columns of every row.
  const { widths, columns, offsets } = rowLayout(new FeatureStore({ ...(rest.views ? { views: rest.views } : {}), histories: [] }), entities);
  const width = columns.length;
  const values = new Float32Array(new SharedArrayBuffer(labels.length * width * Float32Array.BYTES_PER_ELEMENT));
  const offsetsOf = (people: boolean) => offsets.filter((_, k) => PEOPLE.has(entities[k]!) === people);
  const mineInto = { values, width, offsets: offsetsOf(true) };
  const theirsInto = { values, width, offsets: offsetsOf(false) };

  const job: Omit<ItemSideJob, 'id'> = {
    columns: events.itemSide(),
    labelTs: Float64Array.from(labels, (l) => l.ts),
    labelItems: labels.map((l) => l.item || undefined),
    labelCategories: labels.map((l) => l.category || undefined),
    options: {
      entities: things,
      into: theirsInto,
      ...(rest.views ? { views: rest.views.filter((v) => things.includes(v.entity)) } : {}),
      ...(rest.histories ? { histories: rest.histories } : {}),
      ...(rest.allowedLatenessMs !== undefined ? { allowedLatenessMs: rest.allowedLatenessMs } : {}),
      ...(rest.sessionGapMs !== undefined ? { sessionGapMs: rest.sessionGapMs } : {}),
    },
  };
  // A worker that fails (it could not start, or ran out of memory) leaves its columns to this thread.
  const theirs = runOnWorker(job).then(
    () => true,
    () => false,
  );
  let mine: TrainingRows;
  try {
    mine = buildPointInTimeRows(events, labels, { ...rest, entities: people, into: mineInto });
  } catch (err) {
    // the worker's half is of no use now: stop it rather than let it hold the process to the end of its job
    void stopBuildWorker();
    throw err;
  }
  const workerDone = await theirs;
  if (!workerDone) buildPointInTimeRows(events, labels, { ...rest, entities: things, into: theirsInto });
  // both threads applied the same events: this thread's counters are the build's
  return { ...trainingRows({ columns, entities, widths }, labels.length, width, values, mine.store), threads: workerDone ? 2 : 1 };
}

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
