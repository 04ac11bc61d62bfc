/**
 * `iob train offers` on two threads (train-offers.ts). The test-period fit and the registered fit do not
 * depend on the tuned parameters (those only rank), and each tuning evaluation ranks ~10^4 independent
 * queries. So on a 2-core machine the second thread fits the test-period and registered models while this
 * one fits the validation model and starts tuning, and once free it takes chunks of the queries of every
 * model evaluation (tuning, then the test period's; chunks.ts) as this thread does.
 *
 * The second thread runs the same code on the same TF.js backend with the same seed: its tables are the ones
 * this thread would have fitted, bit for bit, and an evaluation's tallies merge in chunk order whichever
 * thread ranked them, so its figures are one pass's (tests hold both). If the thread cannot start, fails, or loads
 * another backend, its work is done on this thread, and the run says why.
 */
import type * as TF from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import type { RankingParams } from '../../models/offers/ranker.ts';
import type { TfBackendName } from '../../models/tf-backend.ts';
import { fitOffers, modelRanker, type FittedOffers, type OffersHyperparameters } from './fit-offers.ts';
import type { OffersJob, OffersMessage } from './offers-worker.ts';
import { packedBuffers, packSessions } from './packed-sessions.ts';
import { allChunks, CHUNK_QUERIES, chunkControl, claimChunks, secondJoined } from './chunks.ts';
import { askedOf, evaluationOf, type NextItemRanker, type RankerEvaluation, type SessionSplit } from './protocol.ts';
import type { ItemSession } from './sessions.ts';

export interface FitContext {
  tf: typeof TF;
  backend: TfBackendName;
  itemIds: readonly string[];
  hyper: OffersHyperparameters;
  seed: number;
  say: (line: string) => void;
  /**
   * A heap limit (MB) for the second thread; by default it has this thread's. (A process-wide
   * `--max-old-space-size`, which bin/iob.mjs sets for batch commands, overrides a worker's own limit.)
   */
  workerHeapMb?: number;
}

/** A fit to collect: awaiting it gives the fitted model (fitting it now, on this thread, if it was not sent off). */
export type PendingFit = () => Promise<FittedOffers>;

/** The model's evaluation on a split for given ranking parameters; `release` frees what the evaluations hold. */
export interface SharedEvaluation {
  /** `useHistory: false` ranks without the subject's earlier sessions (the session-only ablation). */
  evaluate(params: RankingParams, useHistory?: boolean): Promise<RankerEvaluation>;
  release(): void;
  /** Chunks ranked so far, and how many of them by the second thread. */
  chunks: { total: number; bySecond: number };
}

export interface OffersThreads {
  /** Queues a fit of these sessions; `onEpoch` ticks as its epochs finish, on whichever thread. */
  fit(train: readonly ItemSession[], onEpoch?: () => void): PendingFit;
  /** Evaluations of one fitted model on one split with several parameter sets (tuning, the test period's ablations), in chunks of `chunkQueries`. */
  evaluations(fitted: FittedOffers, split: Pick<SessionSplit, 'train' | 'test'>, chunkQueries?: number): SharedEvaluation;
  close(): Promise<void>;
}

/** Everything on this thread, when it is needed. */
export function oneThread(context: FitContext): OffersThreads {
  const { tf, itemIds, hyper, seed } = context;
  return {
    fit: (train, onEpoch) => () => fitOffers(tf, train, itemIds, hyper, seed, onEpoch),
    evaluations: (fitted, split, chunkQueries = CHUNK_QUERIES) => {
      const asked = askedOf(split);
      const chunks = { total: 0, bySecond: 0 };
      return {
        async evaluate(params, useHistory = true) {
          const tallies = allChunks(asked, () => modelRanker(fitted, params, useHistory), [], chunkQueries);
          chunks.total += tallies.length;
          return evaluationOf(tallies, asked.trainItemCount);
        },
        release: () => {},
        chunks,
      };
    },
    close: async () => {},
  };
}

type Reply = OffersMessage | { kind: 'broken'; message: string };

/** Fits and shares of evaluations go to a second thread, which takes them one at a time in the order sent. */
export function twoThreads(context: FitContext): OffersThreads {
  const here = oneThread(context);
  const waiting = new Map<number, { settle: (reply: Reply) => void; onEpoch: (() => void) | undefined }>();
  let broken: string | undefined;
  let closing = false;
  let told = false;
  let next = 1;
  const breakAll = (reason: string): void => {
    broken ??= reason;
    for (const w of waiting.values()) w.settle({ kind: 'broken', message: broken });
    waiting.clear();
  };
  let worker: Worker | undefined;
  try {
    const limits = context.workerHeapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: context.workerHeapMb } };
    worker = new Worker(new URL('./offers-worker.mjs', import.meta.url), limits);
  } catch (err) {
    breakAll(`the second thread did not start (${err instanceof Error ? err.message : String(err)})`);
  }
  worker?.on('message', (m: OffersMessage) => {
    const w = waiting.get(m.id);
    if (w === undefined) return;
    if (m.kind === 'epoch') return w.onEpoch?.();
    waiting.delete(m.id);
    w.settle(m);
  });
  worker?.on('error', (err) => breakAll(err.message));
  worker?.on('exit', (code) => {
    if (!closing) breakAll(`the second thread exited (code ${code})`);
  });
  const send = (job: OffersJob, transfer: ArrayBuffer[] = [], onEpoch?: () => void): Promise<Reply> =>
    new Promise((settle) => {
      if (broken !== undefined || worker === undefined) return settle({ kind: 'broken', message: broken ?? 'no second thread' });
      waiting.set(job.id, { settle, onEpoch });
      try {
        worker.postMessage(job, transfer);
      } catch (err) {
        waiting.delete(job.id);
        settle({ kind: 'broken', message: `a job could not be sent (${err instanceof Error ? err.message : String(err)})` });
      }
    });
  /** Says once why work came back to this thread. */
  const handBack = (reply: Reply): void => {
    if (told) return;
    told = true;
    context.say(`second thread: ${'message' in reply ? reply.message : `unexpected answer ${reply.kind}`}; its work runs on this thread instead`);
  };
  return {
    fit(train, onEpoch) {
      const sessions = packSessions(train);
      const { backend, itemIds, hyper, seed } = context;
      let ticked = 0;
      const reply = send({ kind: 'fit', id: next++, backend, sessions, itemIds, hyper, seed }, packedBuffers(sessions), () => {
        ticked++;
        onEpoch?.();
      });
      return async () => {
        const r = await reply;
        if (r.kind === 'fitted') return r.fitted;
        handBack(r);
        // the epochs the second thread already ticked are not ticked again
        let skip = ticked;
        return here.fit(train, () => (skip > 0 ? skip-- : onEpoch?.()))();
      };
    },
    evaluations(fitted, split, chunkQueries = CHUNK_QUERIES) {
      const asked = askedOf(split);
      const hold = next++;
      const chunks = { total: 0, bySecond: 0 };
      void send({ kind: 'hold', id: hold, fitted: { tables: fitted.tables, vocabulary: fitted.vocabulary }, asked });
      return {
        async evaluate(params, useHistory = true) {
          const control = chunkControl();
          const reply = send({ kind: 'tally', id: next++, hold, params, useHistory, control, size: chunkQueries });
          let built: NextItemRanker | undefined;
          const ranker = (): NextItemRanker => (built ??= modelRanker(fitted, params, useHistory));
          const done = claimChunks(control, asked, ranker, 'first', chunkQueries);
          // a second thread still busy (a fit) never joined: the evaluation is closed to it, nothing to wait for
          if (secondJoined(control)) {
            const r = await reply;
            if (r.kind === 'tally') {
              done.push(...r.tallies);
              chunks.bySecond += r.tallies.length;
            } else handBack(r);
          }
          const tallies = allChunks(asked, ranker, done, chunkQueries);
          chunks.total += tallies.length;
          return evaluationOf(tallies, asked.trainItemCount);
        },
        release: () => void send({ kind: 'release', id: next++, hold }),
        chunks,
      };
    },
    async close() {
      closing = true;
      await worker?.terminate();
      // anything sent from now on (or still out) comes back to this thread
      breakAll('the second thread was closed');
    },
  };
}
