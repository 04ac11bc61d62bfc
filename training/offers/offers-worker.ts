/**
 * The second thread of `iob train offers` (second-thread.ts), one job at a time, with the same code as the
 * first thread: fits (fitOffers, each epoch and the fitted tables posted back), and a share of the tuning
 * evaluations (the validation model held, its share of the queries ranked per parameter set).
 */
import { parentPort } from 'node:worker_threads';
import type { RankingParams } from '../../models/offers/ranker.ts';
import { tfBackend, type TfBackendName } from '../../models/tf-backend.ts';
import { fitOffers, modelRanker, type FittedOffers, type OffersHyperparameters } from './fit-offers.ts';
import { unpackSessions, type PackedSessions } from './packed-sessions.ts';
import { claimChunks, type ChunkTally } from './chunks.ts';
import type { AskedQueries } from './protocol.ts';

export type OffersJob =
  | {
      kind: 'fit';
      id: number;
      /** The first thread's TF.js backend: a fit on another one would not reproduce its numbers. */
      backend: TfBackendName;
      sessions: PackedSessions;
      itemIds: readonly string[];
      hyper: OffersHyperparameters;
      seed: number;
    }
  /** Keep a fitted model and a split's queries, under `id`, for tallies. */
  | { kind: 'hold'; id: number; fitted: Pick<FittedOffers, 'tables' | 'vocabulary'>; asked: AskedQueries }
  /** Rank chunks of `size` held queries, claimed from `control` (shared with the first thread: chunks.ts). */
  | { kind: 'tally'; id: number; hold: number; params: RankingParams; useHistory: boolean; control: Int32Array; size: number }
  | { kind: 'release'; id: number; hold: number };

export type OffersMessage =
  | { id: number; kind: 'epoch'; epoch: number; loss: number }
  | { id: number; kind: 'fitted'; fitted: FittedOffers }
  | { id: number; kind: 'tally'; tallies: ChunkTally[] }
  | { id: number; kind: 'held' }
  | { id: number; kind: 'failed'; message: string; stack?: string };

const held = new Map<number, Extract<OffersJob, { kind: 'hold' }>>();

async function run(job: OffersJob): Promise<OffersMessage> {
  switch (job.kind) {
    case 'fit': {
      const { tf, name } = await tfBackend();
      if (name !== job.backend) return { id: job.id, kind: 'failed', message: `the second thread loaded TF.js backend ${name}, not ${job.backend}` };
      const post = (epoch: number, loss: number): void => parentPort!.postMessage({ id: job.id, kind: 'epoch', epoch, loss } satisfies OffersMessage);
      const fitted = await fitOffers(tf, unpackSessions(job.sessions), job.itemIds, job.hyper, job.seed, post);
      return { id: job.id, kind: 'fitted', fitted };
    }
    case 'hold':
      held.set(job.id, job);
      return { id: job.id, kind: 'held' };
    case 'tally': {
      const hold = held.get(job.hold);
      if (hold === undefined) return { id: job.id, kind: 'failed', message: `no model held under ${job.hold}` };
      return { id: job.id, kind: 'tally', tallies: claimChunks(job.control, hold.asked, () => modelRanker(hold.fitted, job.params, job.useHistory), 'second', job.size) };
    }
    case 'release':
      held.delete(job.hold);
      return { id: job.id, kind: 'held' };
  }
}

// One job at a time: fitOffers yields to the event loop between epochs, and two interleaved jobs would only
// share this thread's core.
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: OffersJob) => {
  queue = queue.then(async () => {
    let message: OffersMessage;
    try {
      message = await run(job);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      message = { id: job.id, kind: 'failed', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
    }
    parentPort!.postMessage(message);
  });
});
