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
import type { FeatureEvent } from './online-store.ts';
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

  const job: Omit<ItemSideJob, 'id'> = {
    columns: events.itemSide(),
    labelTs: Float64Array.from(labels, (l) => l.ts),
    labelItems: labels.map((l) => l.item || undefined),
    labelCategories: labels.map((l) => l.category || undefined),
    entities: things,
    ...(rest.views ? { views: rest.views.filter((v) => things.includes(v.entity)) } : {}),
    ...(rest.histories ? { histories: rest.histories } : {}),
    ...(rest.allowedLatenessMs !== undefined ? { allowedLatenessMs: rest.allowedLatenessMs } : {}),
    ...(rest.sessionGapMs !== undefined ? { sessionGapMs: rest.sessionGapMs } : {}),
  };
  const theirs = runOnWorker(job);
  // The worker's failure is awaited (and thrown) after this thread's half, not left unhandled meanwhile.
  theirs.catch(() => {});
  const mine = buildPointInTimeRows(events, labels, { ...rest, entities: people });
  const other = await theirs;

  // Each entity's columns are copied from the thread that built them: runs of a row taken from one part
  // (e.g. subject and session) are copied as one.
  const partOf = entities.map((e) => (PEOPLE.has(e) ? 0 : 1));
  const built = [
    { values: mine.values, width: mine.width, at: offsets(people, mine.widths), columns: mine.columns },
    { values: other.values, width: sum(other.widths), at: offsets(things, other.widths), columns: other.columns },
  ] as const;
  const columns: string[] = [];
  const runs: { part: number; from: number; width: number }[] = [];
  entities.forEach((e, k) => {
    const { offset, width } = built[partOf[k]!].at.get(e)!;
    columns.push(...built[partOf[k]!].columns.slice(offset, offset + width));
    const last = runs.at(-1);
    if (last && last.part === partOf[k] && last.from + last.width === offset) last.width += width;
    else runs.push({ part: partOf[k]!, from: offset, width });
  });
  const width = columns.length;
  const values = new Float32Array(labels.length * width);
  let to = 0;
  for (const run of runs) {
    const { values: source, width: stride } = built[run.part]!;
    for (let r = 0; r < labels.length; r++) values.set(source.subarray(r * stride + run.from, r * stride + run.from + run.width), r * width + to);
    to += run.width;
  }
  return {
    columns,
    entities,
    widths: entities.map((e, k) => built[partOf[k]!].at.get(e)!.width),
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

function offsets(entities: readonly Entity[], widths: readonly number[]): Map<Entity, { offset: number; width: number }> {
  const at = new Map<Entity, { offset: number; width: number }>();
  let offset = 0;
  entities.forEach((e, k) => {
    at.set(e, { offset, width: widths[k]! });
    offset += widths[k]!;
  });
  return at;
}

// -----------------------------------------------------------------------------------------------------
// The kept worker

interface Pending {
  resolve: (r: Extract<ItemSideResult, { ok: true }>) => void;
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
    if (result.ok) p.resolve(result);
    else p.reject(Object.assign(new Error(`feature build worker: ${result.message}`), { stack: result.stack }));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`feature build worker exited (code ${code})`)));
  // after the listeners: adding a 'message' listener refs the worker's port again
  worker.unref();
  shared = state;
  return state;
}

function runOnWorker(job: Omit<ItemSideJob, 'id'>): Promise<Extract<ItemSideResult, { ok: true }>> {
  const state = buildWorker();
  const id = state.next++;
  return new Promise((resolve, reject) => {
    state.pending.set(id, { resolve, reject });
    // held open while a job is out: the caller awaits its answer
    state.worker.ref();
    const c = job.columns;
    state.worker.postMessage({ ...job, id } satisfies ItemSideJob, [c.ts.buffer, c.type.buffer, c.item.buffer, c.category.buffer, c.price.buffer, c.quantity.buffer] as ArrayBuffer[]);
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
