/**
 * `iob train offers` end to end on a small synthetic log: the metrics contract and the `--json` line, the
 * registry entry that loads back and ranks, determinism, and clear errors for bad input.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { isIobError } from '../../engine/index.ts';
import { DEFAULT_RANKING, OfferRanker, itemIndex, loadOffersModel, loadServingOffersModel } from '../../models/offers/index.ts';
import { readPointer } from '../../models/registry.ts';
import { offersMetricsJson, runTrainOffers, type TrainOffersOptions } from '../../training/offers/train-offers.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { CANONICAL_HEADER, SYNTHETIC_START, writeSyntheticLog } from './synthetic-log.ts';

const run = promisify(execFile);
const quiet = (): void => undefined;
const FIXED = new Date('2026-11-29T00:00:00Z');

async function workspace(t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string; events: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'offers-train-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const events = join(dir, 'events.csv');
  await writeSyntheticLog(events);
  return { dir, events };
}

const fast = (dir: string, events: string, more: Partial<TrainOffersOptions> = {}): TrainOffersOptions => ({
  events,
  epochs: 2,
  dim: 8,
  tuneRounds: 1,
  dataDir: dir,
  ...more,
});

const METRIC_KEYS = ['coverage', 'hr@10', 'hr@20', 'mrr@10', 'mrr@20', 'predictions'];

test('metrics contract, registry entry that loads back and ranks, report on disk', async (t) => {
  const { dir, events } = await workspace(t);
  const lines: string[] = [];
  const result = await runTrainOffers(fast(dir, events), (l) => lines.push(l), { now: () => FIXED });

  const json = JSON.parse(offersMetricsJson(result)) as Record<string, any>;
  assert.deepEqual(Object.keys(json), ['task', 'model', 'baselines', 'ablations', 'split', 'version']);
  assert.equal(json.task, 'offers');
  for (const m of [json.model, json.baselines.pop, json.baselines.sknn, json.ablations.session_only, json.ablations.without_embeddings]) {
    assert.deepEqual(Object.keys(m).sort(), METRIC_KEYS);
    for (const k of ['hr@20', 'mrr@20', 'hr@10', 'mrr@10', 'coverage']) assert.ok(m[k] >= 0 && m[k] <= 1, `${k} = ${m[k]}`);
    assert.ok(m['hr@20'] >= m['hr@10'] && m['mrr@20'] >= m['mrr@10'] && m['hr@20'] >= m['mrr@20']);
  }
  assert.equal(json.model.predictions, json.split.predictions);
  assert.ok(json.split.predictions > 50, `${json.split.predictions} predictions`);
  // The synthetic log has strong sequential structure: the model must find it, POP cannot.
  assert.ok(json.model['hr@20'] > json.baselines.pop['hr@20'] + 0.2, JSON.stringify(json));
  assert.ok(lines.some((l) => /^validation \(/.test(l)), 'tuned on the validation slice');
  assert.ok(lines.some((l) => /^warning: only \d+ predictions in the test period/.test(l)), 'a small test period is flagged');

  const loaded = await loadOffersModel(result.paths.model!);
  assert.equal(loaded.card.version, result.version);
  assert.deepEqual(loaded.card.purposes, ['personalization']);
  assert.deepEqual(loaded.card.metrics.model, result.model);
  assert.deepEqual(loaded.card.metrics.baselines, result.baselines);
  assert.match(loaded.card.training.dataHash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(loaded.card.training.hyperparameters.item2vec && (loaded.card.training.hyperparameters.item2vec as { epochs: number }).epochs, 2);
  assert.equal((await readPointer(join(dir, 'models'), 'offers'))?.version, result.version, 'the first version serves');
  assert.deepEqual((await loadServingOffersModel(join(dir, 'models')))?.tables, loaded.tables);
  // Every item of the file is in the registered tables (the version learns from every session).
  const index = itemIndex(loaded.tables);
  assert.equal(loaded.tables.items.length, 48);
  const ranker = new OfferRanker(loaded.tables, loaded.card.ranking);
  const offers = ranker.rank({ session: [index.get('i3')!] }, 5);
  assert.equal(offers.items.length, 5);
  assert.ok(!offers.items.includes(index.get('i3')!));
  // Item i3's cluster (i0–i11) is what the log ever follows it with.
  assert.ok(offers.items.slice(0, 3).every((i) => Number(loaded.tables.items[i]!.slice(1)) < 12), offers.items.map((i) => loaded.tables.items[i]).join(','));
  // A damaged version fails to load, naming what is wrong, instead of ranking with garbage.
  const bin = await readFile(join(result.paths.model!, 'tables.bin'));
  await writeFile(join(result.paths.model!, 'tables.bin'), bin.subarray(0, bin.length - 8));
  await assert.rejects(loadOffersModel(result.paths.model!), /does not fit tables\.bin/);
  await writeFile(join(result.paths.model!, 'tables.bin'), bin);
  await writeFile(join(result.paths.model!, 'items.json'), JSON.stringify(loaded.tables.items.slice(1)));
  await assert.rejects(loadOffersModel(result.paths.model!), /items\.json lists 47 items, the card 48/);
  const html = await readFile(result.paths.report, 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /SKNN/);
  assert.ok(html.includes(result.model['hr@20'].toFixed(4)));
});

test('deterministic: the same seed gives the same metrics, tables and version, on one thread or two', async (t) => {
  const { dir, events } = await workspace(t);
  const a = await runTrainOffers(fast(dir, events, { registry: join(dir, 'a') }), quiet, { now: () => FIXED, secondThread: false });
  const said: string[] = [];
  const b = await runTrainOffers(fast(dir, events, { registry: join(dir, 'b') }), (l) => said.push(l), { now: () => FIXED, secondThread: true });
  assert.ok(said.includes('a second thread fits the test-period and registered models, then shares the model\'s evaluations'), said.join('\n'));
  assert.ok(!said.some((l) => l.startsWith('second thread:')), 'the second thread did the fits');
  assert.equal(offersMetricsJson(a), offersMetricsJson(b));
  assert.equal(a.version, b.version);
  assert.deepEqual(await readFile(join(a.paths.model!, 'tables.bin')), await readFile(join(b.paths.model!, 'tables.bin')));
});

test('the progress bar counts every epoch and evaluation and ends full, on one thread or two', async (t) => {
  const { dir, events } = await workspace(t);
  for (const secondThread of [false, true]) {
    const bars: Array<{ label: string; unit: string; total: number; done: number; stopped: boolean }> = [];
    const progress = (label: string, unit: string, total: number) => {
      const bar = { label, unit, total, done: 0, stopped: false };
      bars.push(bar);
      return { increment: (n = 1) => void (bar.done += n), stop: () => void (bar.stopped = true) };
    };
    const said: string[] = [];
    await runTrainOffers(fast(dir, events, { registry: join(dir, `p${secondThread}`) }), (l) => said.push(l), { progress, secondThread });
    assert.equal(bars.length, 1);
    const bar = bars[0]!;
    assert.equal(bar.unit, 'epochs and evaluations');
    // three fits of 2 epochs, at most 1 + 45 tuning evaluations (one round), six test-period evaluations
    assert.equal(bar.total, 3 * 2 + 46 + 6);
    assert.equal(bar.done, bar.total, `ends full (${said.find((l) => l.startsWith('validation'))})`);
    assert.ok(bar.stopped);
  }
});

test('--train-days trains on the days before the test period only; the test period is the same', async (t) => {
  const { dir, events } = await workspace(t);
  const all = await runTrainOffers(fast(dir, events, { tuneRounds: 0, register: false }), quiet);
  const said: string[] = [];
  const windowed = await runTrainOffers(fast(dir, events, { tuneRounds: 1, register: false, trainDays: 1 }), (l) => said.push(l));
  // the validation slice is the test period's length before it: a window no longer leaves nothing to tune on
  assert.ok(said.some((l) => /^tuning off: .*--train-days 1 leaves no sessions before it/.test(l)), said.join('\n'));
  assert.equal(windowed.split.train_days, 1);
  assert.equal(all.split.train_days, null);
  assert.equal(windowed.split.cutoff, all.split.cutoff);
  assert.ok((windowed.split.trainSessions as number) < (all.split.trainSessions as number), `${String(windowed.split.trainSessions)} < ${String(all.split.trainSessions)}`);
  assert.ok((windowed.split.trainSessions as number) > 0);
  assert.ok(said.some((l) => /from the 1 day\(s\) before \(\d+ earlier sessions left out\)$/.test(l)), said.join('\n'));
  await assert.rejects(runTrainOffers(fast(dir, events, { trainDays: 0 }), quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--train-days');
});

test('the --json line is the last line of stdout; bad input is a clear CLI error', async (t) => {
  const { dir, events } = await workspace(t);
  const args = ['train', 'offers', '--epochs', '1', '--dim', '8', '--tune-rounds', '0', '--no-register', '--data-dir', dir, '--json'];
  const { stdout } = await run(process.execPath, [IOB_BIN, ...args, '--events', events], { maxBuffer: 1 << 24 });
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
  assert.equal(last.task, 'offers');
  assert.equal(typeof last.model['hr@20'], 'number');
  assert.equal(typeof last.baselines.sknn['mrr@20'], 'number');
  assert.equal(last.version, 'unregistered');

  const empty = join(dir, 'empty.csv');
  await writeFile(empty, `${CANONICAL_HEADER}\n`);
  const failed = await run(process.execPath, [IOB_BIN, ...args, '--events', empty]).then(
    () => assert.fail('an empty file must fail'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /no events with an item/);
});

test('bad input: no test sessions, bad rows (listed or refused), invalid options', async (t) => {
  const { dir } = await workspace(t);
  const DAY = 86_400_000;
  // The last day holds only one-item sessions: nothing to evaluate.
  const noTest = join(dir, 'no-test.csv');
  await writeFile(
    noTest,
    [CANONICAL_HEADER, `e1,${SYNTHETIC_START},u1,,view,a,,,`, `e2,${SYNTHETIC_START + 60_000},u1,,view,b,,,`, `e3,${SYNTHETIC_START + 3 * DAY},u1,,view,a,,,`].join('\n') + '\n',
  );
  await assert.rejects(runTrainOffers({ events: noTest, dataDir: dir, epochs: 1 }, quiet), (err: unknown) => {
    assert.ok(isIobError(err));
    assert.match(err.message, /no test sessions: the last 1 day\(s\) start 1 session\(s\).*none is left/);
    return true;
  });
  // A test session that views one item twice is one step long: the message says repeats count once.
  const repeated = join(dir, 'repeated.csv');
  await writeFile(
    repeated,
    [CANONICAL_HEADER, `e1,${SYNTHETIC_START},u1,,view,a,,,`, `e2,${SYNTHETIC_START + 60_000},u1,,view,b,,,`, `e3,${SYNTHETIC_START + 3 * DAY},u2,,view,a,,,`, `e4,${SYNTHETIC_START + 3 * DAY + 60_000},u2,,view,a,,,`].join('\n') + '\n',
  );
  await assert.rejects(runTrainOffers({ events: repeated, dataDir: dir, epochs: 1 }, quiet), (err: unknown) => isIobError(err) && /sessions shorter than 2 items \(1; an item viewed again right after itself counts once\)/.test(err.message));

  const bad = join(dir, 'bad.csv');
  const good = (await readFile(join(dir, 'events.csv'), 'utf8')).trim().split('\n');
  good.splice(5, 0, 'x1,yesterday,u1,,view,a,,,');
  await writeFile(bad, good.join('\n') + '\n');
  const lines: string[] = [];
  await runTrainOffers({ events: bad, dataDir: dir, epochs: 1, dim: 8, tuneRounds: 0, register: false }, (l) => lines.push(l));
  assert.ok(lines.includes('  line 6, column ts: is not a timestamp: expected epoch milliseconds (integer) or ISO-8601 with a time zone'), lines.join('\n'));
  await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, strict: true }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === 'line 6, column ts');

  await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, testDays: 0 }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--test-days');
  // what the CLI passes: text, read as a decimal number only ('' was read as 0 and '0x10' as 16)
  for (const text of ['', '0x10', '1e1x']) {
    await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, testDays: text as unknown as number }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--test-days', JSON.stringify(text));
  }
  await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, promote: true, register: false }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--promote');
  for (const subsample of ['2', 'often', '-1e-4']) {
    await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, subsample: subsample as unknown as number }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--subsample', subsample);
  }
  // The flag is --session-gap (its value in minutes), not the option's name in code.
  await assert.rejects(runTrainOffers({ events: bad, dataDir: dir, sessionGapMinutes: 0 }, quiet), (err: unknown) => isIobError(err) && err.problems[0]!.path === '--session-gap');

  // A small log: too few validation predictions to tune on, so the defaults are kept and the card says why.
  const small = join(dir, 'small.csv');
  await writeSyntheticLog(small, { subjects: 6, days: 3 });
  const said: string[] = [];
  const result = await runTrainOffers({ events: small, dataDir: dir, epochs: 1, dim: 8 }, (l) => said.push(l));
  assert.ok(said.some((l) => /^too few validation predictions before the test period \(\d+ < 200\): default ranking parameters$/.test(l)), said.join('\n'));
  const card = (await loadOffersModel(result.paths.model!)).card;
  assert.equal(card.training.tuning.tuned, false);
  assert.deepEqual(card.ranking, DEFAULT_RANKING);
  await assert.rejects(runTrainOffers({ events: join(dir, 'missing.csv'), dataDir: dir }, quiet), /missing\.csv/);
});
