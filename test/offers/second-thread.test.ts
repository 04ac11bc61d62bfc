/**
 * `train offers` on two threads (training/offers/second-thread.ts): sessions cross packed and come back
 * equal; a fit there equals the fit here; a tuning evaluation shared between the threads gives this thread's
 * metrics; a thread that cannot do its work hands it back, and says why once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tfBackend } from '../../models/tf-backend.ts';
import { oneThread, twoThreads, type FitContext } from '../../training/offers/second-thread.ts';
import { DEFAULT_ITEM2VEC } from '../../training/offers/fit-item2vec.ts';
import type { OffersHyperparameters } from '../../training/offers/fit-offers.ts';
import { packSessions, unpackSessions } from '../../training/offers/packed-sessions.ts';
import { DEFAULT_RANKING } from '../../models/offers/ranker.ts';
import { evaluateRanker, splitLastDays } from '../../training/offers/protocol.ts';
import { modelRanker } from '../../training/offers/fit-offers.ts';
import { loadSessionLog } from '../../training/offers/sessions.ts';
import { DEFAULT_BOUGHT, DEFAULT_COOC } from '../../training/offers/tables.ts';
import { secondThreadFits } from '../../training/offers/train-offers.ts';
import { writeSyntheticLog } from './synthetic-log.ts';

const HYPER: OffersHyperparameters = { item2vec: { ...DEFAULT_ITEM2VEC, epochs: 2, dim: 8 }, cooc: DEFAULT_COOC, bought: DEFAULT_BOUGHT, neighbors: 5, neighborMinCount: 2 };

async function syntheticSessions(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'offers-thread-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.csv');
  await writeSyntheticLog(path);
  return loadSessionLog(path);
}

test('sessions packed for another thread unpack to the same sessions', async (t) => {
  const log = await syntheticSessions(t);
  assert.ok(log.sessions.length > 100 && log.sessions.some((s) => s.types.includes('purchase')), 'sessions with several event types');
  const packed = packSessions(log.sessions);
  assert.equal(packed.offsets.at(-1), log.sessions.reduce((n, s) => n + s.items.length, 0));
  assert.deepEqual(unpackSessions(packed), log.sessions);
  assert.deepEqual(unpackSessions(packSessions([])), []);
});

test('a fit and a shared tuning evaluation on two threads equal one thread\'s; a thread that cannot do its work hands it back', async (t) => {
  const log = await syntheticSessions(t);
  const { tf, name } = await tfBackend();
  const said: string[] = [];
  const context: FitContext = { tf, backend: name, itemIds: log.items, hyper: HYPER, seed: 3, say: (l: string) => said.push(l) };
  const one = oneThread(context);
  const here = await one.fit(log.sessions)();
  const split = splitLastDays(log.sessions, 1);
  const fittedForSplit = await one.fit(split.train)();
  const variants = [DEFAULT_RANKING, { ...DEFAULT_RANKING, weights: { ...DEFAULT_RANKING.weights, cooc: 0, similarity: 2 } }];
  // one pass over the split, as the test period is evaluated
  const expected = variants.map((p) => evaluateRanker(modelRanker(fittedForSplit, p), split));
  assert.deepEqual(await one.evaluations(fittedForSplit, split, 8).evaluate(variants[1]!), expected[1], 'one thread in chunks: one pass\'s figures, curve and ranks');
  assert.ok(expected[0]!.metrics.predictions > 50 && expected[0]!.metrics['mrr@20'] !== expected[1]!.metrics['mrr@20'], 'the two parameter sets rank differently');
  const sessionOnly = evaluateRanker(modelRanker(fittedForSplit, variants[0]!, false), split);
  assert.notDeepEqual(sessionOnly.ranks, expected[0]!.ranks, 'history changes the ranking');

  const two = twoThreads(context);
  let epochs = 0;
  try {
    // evaluations while the second thread is busy with a fit (it joins them once free), then after it
    const pending = two.fit(log.sessions, () => epochs++);
    const shared = two.evaluations(fittedForSplit, split, 8);
    for (const [i, p] of variants.entries()) assert.deepEqual(await shared.evaluate(p), expected[i], 'the same metrics as one thread, bit for bit');
    const there = await pending();
    assert.deepEqual(there, here, 'same tables, vocabulary and losses');
    assert.equal(epochs, HYPER.item2vec.epochs, 'each epoch on the second thread ticks the caller');
    // once free, the second thread takes chunks (how many is the threads' race; that it takes some is not)
    for (let round = 0; round < 50 && (round === 0 || shared.chunks.bySecond === 0); round++) {
      for (const [i, p] of variants.entries()) assert.deepEqual(await shared.evaluate(p), expected[i]);
    }
    assert.ok(shared.chunks.bySecond > 0 && shared.chunks.bySecond < shared.chunks.total, `${shared.chunks.bySecond} of ${shared.chunks.total} chunks on the second thread`);
    assert.deepEqual(await shared.evaluate(variants[0]!, false), sessionOnly, 'the session-only ablation, shared');
    shared.release();
    assert.deepEqual(said, []);
  } finally {
    await two.close();
  }

  // A thread told to match another backend refuses the fit: it runs here instead, with the same result.
  const other = name === 'cpu' ? 'wasm' : 'cpu';
  const mismatched = twoThreads({ ...context, backend: other });
  try {
    assert.deepEqual(await mismatched.fit(log.sessions)(), here);
    assert.deepEqual(said, [`second thread: the second thread loaded TF.js backend ${name}, not ${other}; its work runs on this thread instead`]);
  } finally {
    await mismatched.close();
  }
  // A thread that runs out of its heap ends alone; the fit comes back here. (A process-wide heap flag
  // would override the worker's limit: then there is nothing to starve.)
  said.length = 0;
  const globalHeapFlag = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));
  if (!globalHeapFlag) {
    const starved = twoThreads({ ...context, workerHeapMb: 8 });
    try {
      assert.deepEqual(await starved.fit(log.sessions)(), here);
      assert.equal(said.length, 1);
      assert.match(said[0]!, /^second thread: .*; its work runs on this thread instead$/);
    } finally {
      await starved.close();
    }
  }
  // A thread that is gone: every evaluation runs whole here, and the run says so once.
  const gone = twoThreads(context);
  await gone.close();
  said.length = 0;
  const alone = gone.evaluations(fittedForSplit, split);
  assert.deepEqual(await alone.evaluate(variants[0]!), expected[0]);
  assert.deepEqual(await alone.evaluate(variants[1]!), expected[1]);
  assert.deepEqual(said, [], 'a closed thread never joins an evaluation: nothing is handed back');
  assert.deepEqual(await gone.fit(log.sessions)(), here);
  assert.equal(said.length, 1);
  assert.match(said[0]!, /^second thread: the second thread was closed; its work runs on this thread instead$/);
});

test('a second thread only for logs worth it and only when two threads fit in half of the memory, saying why not', () => {
  assert.deepEqual(secondThreadFits(1_000), { use: false }, 'a small log: the thread would cost more than it saves');
  const huge = secondThreadFits(1e11);
  assert.equal(huge.use, false);
  assert.match(huge.why ?? '', /^one thread: two would need ~\d+\.\d GB \(1300 B per training step, measured\), more than half of this machine's memory$/);
});
