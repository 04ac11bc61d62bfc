/**
 * Follows a task's serving pointer (registry.ts: <root>/<task>/SERVING.json) and holds the loaded model it
 * names, for a serving process: hot reload without a restart and without dropping requests.
 *
 * - A change is noticed by fs.watch on the task folder (promote renames a new pointer over the old one) and
 *   by a cheap poll (one small file read, default every second) for filesystems where watching is
 *   unreliable or the folder does not exist yet.
 * - The new version is loaded fully (files read, card validated, the caller's `load` checks run) before one
 *   reference is swapped: a request sees the old model or the new one, never a half-loaded one.
 * - A version that fails to load leaves the previous one serving; the failure is kept in `status()` (and
 *   passed to `onEvent` for the log) until a later pointer change loads.
 * - Loads are serialized, and a pointer that did not change since the last attempt is not reloaded, so a
 *   broken version is tried once per promotion, not once per poll.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { POINTER_FILE, pointerPath, taskDir, versionDir } from './registry.ts';

export interface LoadedVersion<T> {
  version: string;
  model: T;
  loadedAt: string;
}

export interface LoadFailure {
  version: string;
  message: string;
  at: string;
}

export interface ServingModelStatus {
  task: string;
  /** The version answering requests; null when none has loaded. */
  serving: string | null;
  loadedAt: string | null;
  /** The version SERVING.json names (differs from `serving` when it failed to load). */
  pointer: string | null;
  /** The last failed load, while no later version has loaded. */
  failure: LoadFailure | null;
}

export type WatchEvent =
  | { type: 'loaded'; task: string; version: string; previous: string | null; ms: number }
  | { type: 'failed'; task: string; version: string; message: string; keeping: string | null };

export interface WatchOptions<T> {
  root: string;
  task: string;
  /** Loads and checks a version folder; throws with a clear message when it cannot serve. */
  load: (dir: string, version: string) => Promise<T>;
  pollMs?: number;
  onEvent?: (event: WatchEvent) => void;
}

export interface ServingModelWatch<T> {
  /** The loaded model; one reference, swapped whole. */
  current(): LoadedVersion<T> | undefined;
  status(): ServingModelStatus;
  /** Reads the pointer now and loads what it names if it changed; resolves when done. */
  check(): Promise<void>;
  close(): void;
}

const DEFAULT_POLL_MS = 1000;

/** Starts following the pointer; resolves after the first check (the model that serves at start is loaded). */
export async function watchServingModel<T>(options: WatchOptions<T>): Promise<ServingModelWatch<T>> {
  const { root, task, load, onEvent } = options;
  const file = pointerPath(root, task);
  let slot: LoadedVersion<T> | undefined;
  let pointerText: string | undefined;
  let pointerVersion: string | null = null;
  let failure: LoadFailure | null = null;
  let watcher: FSWatcher | undefined;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const fail = (version: string, err: unknown) => {
    failure = { version, message: err instanceof Error ? err.message : String(err), at: new Date().toISOString() };
    onEvent?.({ type: 'failed', task, version, message: failure.message, keeping: slot?.version ?? null });
  };

  async function attempt(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return fail(POINTER_FILE, err);
    }
    if (text === pointerText || closed) return;
    pointerText = text;
    // No pointer (never promoted, or removed by hand): whatever serves keeps serving.
    if (text === undefined) return;
    let version: string;
    try {
      const parsed = JSON.parse(text) as { version?: unknown };
      if (typeof parsed.version !== 'string') throw new Error(`${POINTER_FILE} names no version`);
      version = parsed.version;
    } catch (err) {
      return fail(POINTER_FILE, err);
    }
    pointerVersion = version;
    if (version === slot?.version) {
      failure = null;
      return;
    }
    const started = performance.now();
    let model: T;
    try {
      model = await load(versionDir(root, task, version), version);
    } catch (err) {
      return fail(version, err);
    }
    if (closed) return;
    const previous = slot?.version ?? null;
    slot = { version, model, loadedAt: new Date().toISOString() };
    failure = null;
    onEvent?.({ type: 'loaded', task, version, previous, ms: Math.round(performance.now() - started) });
  }

  const check = (): Promise<void> => (chain = chain.then(attempt, attempt));

  const attachWatcher = () => {
    if (watcher || closed) return;
    try {
      watcher = watch(taskDir(root, task), { persistent: false }, (_event, name) => {
        if (name === null || name === POINTER_FILE) void check();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The task folder does not exist yet (nothing trained): the poll attaches once it does.
    }
  };

  const timer = setInterval(() => {
    attachWatcher();
    void check();
  }, options.pollMs ?? DEFAULT_POLL_MS);
  timer.unref();
  attachWatcher();
  await check();

  return {
    current: () => slot,
    status: () => ({ task, serving: slot?.version ?? null, loadedAt: slot?.loadedAt ?? null, pointer: pointerVersion, failure }),
    check,
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
