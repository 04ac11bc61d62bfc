/**
 * The second thread of `iob train offers` (background-fit.ts): it fits offers models with the same code as
 * the first thread (fitOffers), one job at a time, and posts each epoch and the fitted tables back.
 */
import { parentPort } from 'node:worker_threads';
import { tfBackend, type TfBackendName } from '../../models/tf-backend.ts';
import { fitOffers, type FittedOffers, type OffersHyperparameters } from './fit-offers.ts';
import { unpackSessions, type PackedSessions } from './packed-sessions.ts';

export interface FitJob {
  id: number;
  /** The first thread's TF.js backend: a fit on another one would not reproduce its numbers. */
  backend: TfBackendName;
  sessions: PackedSessions;
  itemIds: readonly string[];
  hyper: OffersHyperparameters;
  seed: number;
}

export type FitMessage =
  | { id: number; kind: 'epoch'; epoch: number; loss: number }
  | { id: number; kind: 'done'; fitted: FittedOffers }
  | { id: number; kind: 'failed'; message: string; stack?: string };

async function run(job: FitJob): Promise<FitMessage> {
  const { tf, name } = await tfBackend();
  if (name !== job.backend) return { id: job.id, kind: 'failed', message: `the second thread loaded TF.js backend ${name}, not ${job.backend}` };
  const post = (epoch: number, loss: number): void => parentPort!.postMessage({ id: job.id, kind: 'epoch', epoch, loss } satisfies FitMessage);
  const fitted = await fitOffers(tf, unpackSessions(job.sessions), job.itemIds, job.hyper, job.seed, post);
  return { id: job.id, kind: 'done', fitted };
}

// One fit at a time: fitOffers yields to the event loop between epochs, and two interleaved fits would
// only share this thread's core.
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: FitJob) => {
  queue = queue.then(async () => {
    let message: FitMessage;
    try {
      message = await run(job);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      message = { id: job.id, kind: 'failed', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
    }
    parentPort!.postMessage(message);
  });
});
