/**
 * Offers fits on a second thread while this one tunes the ranking (train-offers.ts). The test-period fit
 * and the registered fit do not depend on the tuned parameters (those only rank), so on a 2-core machine
 * they take the other core while this one fits the validation model and runs the ~80 tuning evaluations.
 *
 * The second thread runs the same fitOffers on the same TF.js backend with the same seed, so its tables are
 * the ones this thread would have fitted, bit for bit (a test holds the metrics equal). If the thread cannot
 * start, fails, or loads another backend, the fit runs on this thread when it is needed, and says why.
 */
import type * as TF from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import type { TfBackendName } from '../../models/tf-backend.ts';
import { fitOffers, type FittedOffers, type OffersHyperparameters } from './fit-offers.ts';
import type { FitJob, FitMessage } from './fit-worker.ts';
import { packedBuffers, packSessions } from './packed-sessions.ts';
import type { ItemSession } from './sessions.ts';

export interface FitContext {
  tf: typeof TF;
  backend: TfBackendName;
  itemIds: readonly string[];
  hyper: OffersHyperparameters;
  seed: number;
  say: (line: string) => void;
}

/** A fit to collect: awaiting it gives the fitted model (fitting it now, on this thread, if it was not sent off). */
export type PendingFit = () => Promise<FittedOffers>;

export interface FitPlanner {
  /** Queues a fit of these sessions; `onEpoch` ticks as its epochs finish, on whichever thread. */
  fit(train: readonly ItemSession[], onEpoch?: () => void): PendingFit;
  close(): Promise<void>;
}

/** Fits run when collected, on this thread. */
export function fitsHere(context: FitContext): FitPlanner {
  const { tf, itemIds, hyper, seed } = context;
  return {
    fit: (train, onEpoch) => () => fitOffers(tf, train, itemIds, hyper, seed, onEpoch),
    close: async () => {},
  };
}

type Outcome = { fitted: FittedOffers } | { failed: string };

/** Fits start at once on a second thread, one after another, in the order queued. */
export function fitsOnSecondThread(context: FitContext): FitPlanner {
  const here = fitsHere(context);
  const waiting = new Map<number, { settle: (outcome: Outcome) => void; onEpoch: (() => void) | undefined }>();
  let broken: string | undefined;
  let closing = false;
  let next = 1;
  const worker = new Worker(new URL('./fit-worker.mjs', import.meta.url));
  const breakAll = (reason: string): void => {
    broken ??= reason;
    for (const w of waiting.values()) w.settle({ failed: broken });
    waiting.clear();
  };
  worker.on('message', (m: FitMessage) => {
    const w = waiting.get(m.id);
    if (w === undefined) return;
    if (m.kind === 'epoch') return w.onEpoch?.();
    waiting.delete(m.id);
    w.settle(m.kind === 'done' ? { fitted: m.fitted } : { failed: m.message });
  });
  worker.on('error', (err) => breakAll(err.message));
  worker.on('exit', (code) => {
    if (!closing) breakAll(`the second thread exited (code ${code})`);
  });
  return {
    fit(train, onEpoch) {
      const id = next++;
      const outcome = new Promise<Outcome>((settle) => {
        if (broken !== undefined) return settle({ failed: broken });
        waiting.set(id, { settle, onEpoch });
        const sessions = packSessions(train);
        const { backend, itemIds, hyper, seed } = context;
        worker.postMessage({ id, backend, sessions, itemIds, hyper, seed } satisfies FitJob, packedBuffers(sessions));
      });
      return async () => {
        const result = await outcome;
        if ('fitted' in result) return result.fitted;
        context.say(`second thread: ${result.failed}; fitting on this thread instead`);
        return here.fit(train, onEpoch)();
      };
    },
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}
