/**
 * Offers fits on a second thread (training/offers/background-fit.ts): sessions cross packed and come back
 * equal; the fitted tables equal this thread's; a thread that cannot do the fit hands it back, and says why.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tfBackend } from '../../models/tf-backend.ts';
import { fitsHere, fitsOnSecondThread, type FitContext } from '../../training/offers/background-fit.ts';
import { DEFAULT_ITEM2VEC } from '../../training/offers/fit-item2vec.ts';
import type { OffersHyperparameters } from '../../training/offers/fit-offers.ts';
import { packSessions, unpackSessions } from '../../training/offers/packed-sessions.ts';
import { loadSessionLog } from '../../training/offers/sessions.ts';
import { DEFAULT_BOUGHT, DEFAULT_COOC } from '../../training/offers/tables.ts';
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

test('a fit on the second thread equals the same fit on this one; a thread that cannot fit hands the fit back', async (t) => {
  const log = await syntheticSessions(t);
  const { tf, name } = await tfBackend();
  const said: string[] = [];
  const context: FitContext = { tf, backend: name, itemIds: log.items, hyper: HYPER, seed: 3, say: (l) => said.push(l) };
  const here = await fitsHere(context).fit(log.sessions)();

  const second = fitsOnSecondThread(context);
  let epochs = 0;
  try {
    const there = await second.fit(log.sessions, () => epochs++)();
    assert.deepEqual(there, here, 'same tables, vocabulary and losses');
    assert.equal(epochs, HYPER.item2vec.epochs, 'each epoch on the second thread ticks the caller');
    assert.deepEqual(said, []);
  } finally {
    await second.close();
  }

  // A thread told to match another backend refuses the job: the fit runs here instead, with the same result.
  const other = name === 'cpu' ? 'wasm' : 'cpu';
  const mismatched = fitsOnSecondThread({ ...context, backend: other });
  try {
    const handedBack = await mismatched.fit(log.sessions)();
    assert.deepEqual(handedBack, here);
    assert.equal(said.length, 1);
    assert.match(said[0]!, new RegExp(`^second thread: the second thread loaded TF\\.js backend ${name}, not ${other}; fitting on this thread instead$`));
  } finally {
    await mismatched.close();
  }
});
