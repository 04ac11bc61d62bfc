/**
 * `iob train intent --events`: the label rule, the session time split, the real Taobao sample through the
 * real CLI (JSON line, registered card of store feature names, no test-period statistics), bad rows,
 * --strict, a single class, and the erasure list.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { CONVERTERS, createCanonicalWriter } from '../../datasets/index.ts';
import { createPseudonymizer, ensurePseudonymKey, FeatureStore, IobError, openErasureList, type FeatureEvent } from '../../engine/index.ts';
import { loadIntentForward } from '../../models/intent/load.ts';
import { selectRows } from '../../models/matrix.ts';
import { servingVersion } from '../../models/registry.ts';
import { fitStandardization } from '../../models/standardize.ts';
import { eventIntentRows, EVENTS_RECIPE_BASE } from '../../training/event-intent.ts';
import { openEventScope, readFeatureEvents } from '../../training/feature-events.ts';
import type { IntentRecipe } from '../../training/intent-recipe.ts';
import { runTrainIntent } from '../../training/train-intent.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { startTestNats, tempDir } from '../helpers/nats.ts';

const TAOBAO = fileURLToPath(new URL('../../../shared/data/taobao-userbehavior/UserBehavior_sample.csv', import.meta.url));
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.UTC(2026, 0, 5, 9);

const dir = tempDir({ after });
const quiet = (): void => undefined;

/** The store's subject and session feature names: the only names an event-trained card may hold. */
const store = new FeatureStore();
const STORE_NAMES = [...store.featureNames('subject'), ...store.featureNames('session')];

/** A small, fast recipe for the runs that test plumbing rather than quality. */
const TINY: IntentRecipe = {
  ...EVENTS_RECIPE_BASE,
  piecewiseLinear: { features: ['session.event_count', 'subject.view_count_1h'], bins: 4 },
  hidden: [8],
  members: 1,
  fit: { ...EVENTS_RECIPE_BASE.fit, maxEpochs: 1, patience: 1 },
};

/** The real Taobao sample as a canonical file, and its first `subset` data lines (whole users: the file is by user). */
const converted = join(dir, 'taobao.csv');
const writer = createCanonicalWriter(converted);
for await (const e of CONVERTERS.taobao.convert(TAOBAO)) await writer.write(e);
await writer.close();
const lines = readFileSync(converted, 'utf8').trimEnd().split('\n');
const header = lines[0]!;
const subsetLines = lines.slice(1, 20_001);

function writeEvents(name: string, rows: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, [header, ...rows].join('\n') + '\n');
  return path;
}

test('label rule: a later purchase in the same session → 1; in another session, before, or at the same time → 0; purchases are not scoring points', () => {
  const events: FeatureEvent[] = [
    // a: one session (no session ids: the 30-minute gap decides); a purchase at +10 min
    { ts: T0, sid: 'a', type: 'view', item: 'i1' },
    { ts: T0 + 5 * MIN, sid: 'a', type: 'cart_add', item: 'i1' },
    { ts: T0 + 10 * MIN, sid: 'a', type: 'purchase', item: 'i1' },
    { ts: T0 + 12 * MIN, sid: 'a', type: 'view', item: 'i2' },
    // b: the purchase comes two hours later, in a new session
    { ts: T0, sid: 'b', type: 'view', item: 'i1' },
    { ts: T0 + 120 * MIN, sid: 'b', type: 'purchase', item: 'i1' },
    // c: explicit session ids, interleaved: only s2 has a purchase
    { ts: T0, sid: 'c', ssid: 's1', type: 'view', item: 'i3' },
    { ts: T0 + MIN / 2, sid: 'c', ssid: 's2', type: 'view', item: 'i3' },
    { ts: T0 + MIN, sid: 'c', ssid: 's2', type: 'purchase', item: 'i3' },
    // d: a purchase in the very same millisecond is already in the point's features: not a later purchase
    { ts: T0, sid: 'd', type: 'view', item: 'i4' },
    { ts: T0, sid: 'd', type: 'purchase', item: 'i4' },
  ];
  const { dataset } = eventIntentRows(events, 0.2);
  // points in input order: a view, a cart_add, a view after the purchase, b view, c s1 view, c s2 view, d view
  assert.deepEqual(Array.from(dataset.labels), [1, 1, 0, 0, 0, 1, 0]);
  assert.equal(dataset.labels.length, events.filter((e) => e.type !== 'purchase').length, 'one scoring point per non-purchase event, none for purchases');
  assert.deepEqual(dataset.features, STORE_NAMES);

  const value = (row: number, name: string) => dataset.x.data[row * dataset.x.cols + dataset.features.indexOf(name)]!;
  assert.equal(value(1, 'session.event_count'), 2, "a's cart_add point sees its session so far, itself included");
  assert.equal(value(1, 'session.cart_adds'), 1);
  assert.equal(value(0, 'subject.purchase_count_1h'), 0, 'no future purchase in the features of the label-1 point');
  assert.equal(value(2, 'subject.purchase_count_1h'), 1, 'the point after the purchase sees it');
  assert.equal(value(5, 'session.event_count'), 1, "c's s2 point reads session s2, not s1");
});

test('with the consent gate, only events admitted for personalization enter: features, scoring points and labels', () => {
  const events: FeatureEvent[] = [
    { ts: T0, sid: 'yes', type: 'view' },
    { ts: T0 + MIN, sid: 'yes', type: 'purchase' },
    { ts: T0, sid: 'no', type: 'view' },
    { ts: T0 + MIN, sid: 'no', type: 'view' },
    { ts: T0 + 2 * MIN, sid: 'no', type: 'purchase' },
  ];
  const asked: string[] = [];
  const rows = eventIntentRows(events, 0.2, { admits: (sid, purpose) => (asked.push(purpose), sid === 'yes') });
  assert.deepEqual(new Set(asked), new Set(['personalization']));
  assert.equal(rows.gated, 3);
  assert.deepEqual(Array.from(rows.dataset.labels), [1], "only 'yes' has a scoring point");
  assert.equal(eventIntentRows(events, 0.2).dataset.labels.length, 3, 'without a gate every subject counts');
});

test('time split: sessions starting in the last 20% of start times are the test set; sessions straddling the cut are in neither part', () => {
  const events: FeatureEvent[] = [];
  for (let k = 0; k < 10; k++) {
    const start = T0 + k * DAY;
    events.push({ ts: start, sid: `u${k}`, type: 'view' }, { ts: start + MIN, sid: `u${k}`, type: k % 2 === 0 ? 'purchase' : 'view' });
  }
  // starts before the 9th session's start (the cut) and runs past it: its label would come from the test period
  for (let m = 0; m < 4; m++) events.push({ ts: T0 + 8 * DAY - 10 * MIN + m * 10 * MIN, sid: 'z', type: 'view' });
  const { fold, testFrom, sessions, dataset } = eventIntentRows(events, 0.2);
  assert.equal(testFrom, T0 + 8 * DAY);
  assert.deepEqual(sessions, { total: 11, train: 8, test: 2, straddling: 1 });
  const sidOf = (row: number) => events.filter((e) => e.type !== 'purchase')[row]!.sid;
  assert.deepEqual(new Set(Array.from(fold.test, sidOf)), new Set(['u8', 'u9']));
  assert.ok(!Array.from(fold.train, sidOf).includes('z') && !Array.from(fold.test, sidOf).includes('z'));
  assert.equal(fold.train.length + fold.test.length, dataset.labels.length - 4);
  for (const r of fold.train) assert.ok(dataset.timeKey[r]! < testFrom);
});

test('--max-rows samples whole sessions, seeded: kept points keep their labels and features; every event still feeds the store', () => {
  const events: FeatureEvent[] = [];
  for (let k = 0; k < 400; k++) {
    const start = T0 + k * 2 * 60 * MIN;
    for (let j = 0; j < 5; j++) events.push({ ts: start + j * MIN, sid: `u${k % 50}`, type: j === 4 && k % 3 === 0 ? 'purchase' : 'view', item: `i${j}` });
  }
  const whole = eventIntentRows(events, 0.2);
  assert.equal(whole.sample.rate, 1);
  const sampled = eventIntentRows(events, 0.2, { maxRows: 500, seed: 3 });
  const points = whole.dataset.labels.length;
  assert.equal(sampled.sample.points, points);
  assert.equal(sampled.sample.rate, 500 / points);
  const kept = sampled.dataset.labels.length;
  assert.ok(kept > 300 && kept < 700, `about 500 points kept (${kept})`);
  // Each point's row of the whole run, found by its features' session start and time: a kept point's label
  // and features are those of the unsampled run, and its session is kept whole (4 or 5 points).
  const key = (rows: typeof whole, r: number) => `${rows.dataset.timeKey[r]}:${Array.from(rows.dataset.x.data.subarray(r * rows.dataset.x.cols, (r + 1) * rows.dataset.x.cols)).join(',')}`;
  const wholeRows = new Map(Array.from({ length: points }, (_, r) => [key(whole, r), r]));
  const perSession = new Map<number, number>();
  for (let r = 0; r < kept; r++) {
    const w = wholeRows.get(key(sampled, r));
    assert.ok(w !== undefined, 'a kept point has the features it has without sampling');
    assert.equal(sampled.dataset.labels[r], whole.dataset.labels[w]);
    perSession.set(sampled.dataset.timeKey[r]!, (perSession.get(sampled.dataset.timeKey[r]!) ?? 0) + 1);
  }
  for (const [start, n] of perSession) assert.equal(n, Array.from(whole.dataset.timeKey).filter((t) => t === start).length, `session at ${start} kept whole`);
  assert.ok(sampled.fold.test.length > 0 && sampled.fold.train.length > 0);
  assert.equal(sampled.sessions.total, perSession.size, 'session counts are of the sampled sessions');
  assert.deepEqual(eventIntentRows(events, 0.2, { maxRows: 500, seed: 3 }).dataset.labels, sampled.dataset.labels, 'same seed, same sample');
  const starts = (rows: typeof whole) => [...new Set(Array.from(rows.dataset.timeKey))].join();
  assert.notEqual(starts(eventIntentRows(events, 0.2, { maxRows: 500, seed: 4 })), starts(sampled), 'another seed, other sessions');
});

test('real Taobao sample through `iob train intent --events --json`: the JSON line, a registered card of store feature names, statistics from training rows only', async () => {
  const registry = join(dir, 'registry');
  const run = spawnSync(
    process.execPath,
    [IOB_BIN, 'train', 'intent', '--events', converted, '--epochs', '2', '--json', '--registry', registry, '--data-dir', join(dir, 'cli-data')],
    { encoding: 'utf8', env: { ...process.env, NATS_URL: '' }, timeout: 240_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const out = run.stdout.trimEnd().split('\n');
  assert.equal(out.length, 1, 'with --json, stdout carries only the JSON line');
  const json = JSON.parse(out.at(-1)!);
  assert.deepEqual(Object.keys(json), ['task', 'model', 'baselines', 'split', 'version']);
  assert.equal(json.task, 'intent');
  assert.deepEqual(Object.keys(json.baselines), ['prior', 'logreg']);
  for (const m of [json.model, json.baselines.prior, json.baselines.logreg]) assert.deepEqual(Object.keys(m).sort(), ['brier', 'f1', 'pr_auc', 'roc_auc']);
  assert.equal(json.baselines.prior.roc_auc, 0.5);
  assert.equal(json.split.kind, 'time');
  assert.equal(json.split.unit, 'session');
  assert.equal(json.split.rows, 65_027 - 1_395, 'every non-purchase event of the sample is a scoring point');
  assert.equal(json.split.train_rows + json.split.test_rows + json.split.excluded_rows, json.split.rows);
  assert.match(run.stderr, /\(0 bad rows skipped, 0 of erased subjects excluded, consent registry not consulted\)/);
  assert.match(run.stderr, /warning: no NATS_URL/);
  // bin/iob.mjs runs batch commands with a heap limit of 3/4 of physical memory (V8's default is ~4 GB)
  const heapGb = Number(/memory: JS heap limit ([\d.]+) GB/.exec(run.stderr)?.[1]);
  assert.ok(Math.abs(heapGb - (0.75 * totalmem()) / 2 ** 30) < 0.1 || (0.75 * totalmem()) / 2 ** 30 < 4.5, `heap limit ${heapGb} GB for ${totalmem() / 2 ** 30} GB of memory`);
  {
    assert.equal(await servingVersion(registry, 'intent'), json.version, 'the first version serves');
    const { card, forward } = await loadIntentForward(join(registry, 'intent', json.version));
    assert.deepEqual(card.features, STORE_NAMES, 'the card names the store features serving reads from subjectFeatures()');
    assert.deepEqual(card.purposes, ['personalization']);
    assert.equal(card.training.format, 'canonical-events');
    assert.equal(card.training.rows, json.split.rows);
    assert.deepEqual(card.split, json.split);
    assert.deepEqual(card.metrics.model, json.model);
    assert.match(card.normalization.computedOn, /^training rows only/);
    assert.equal(forward.inputs, STORE_NAMES.length);

    // Recompute the raw columns' means on the training rows and on all rows: the card holds the former.
    const read = await readFeatureEvents(converted, { pseudonymize: createPseudonymizer('k'.repeat(32)), erased: () => false, duplicateWindowMs: 120_000 }, { say: quiet });
    const { dataset, fold, testFrom } = eventIntentRows(read.events, 0.2);
    assert.equal(new Date(testFrom).toISOString(), json.split.test_from);
    const onTraining = fitStandardization(selectRows(dataset.x, fold.train));
    const onAll = fitStandardization(dataset.x);
    const n = STORE_NAMES.length;
    card.normalization.mean.slice(0, n).forEach((m, c) => assert.ok(Math.abs(m - onTraining.mean[c]!) <= 1e-6 * Math.max(1, Math.abs(m)), `${STORE_NAMES[c]}: card ${m}, training rows ${onTraining.mean[c]}`));
    const differs = STORE_NAMES.filter((_, c) => Math.abs(onAll.mean[c]! - onTraining.mean[c]!) > 1e-3 * Math.max(1, Math.abs(onAll.mean[c]!)));
    assert.ok(differs.length > 0, 'the test period would have moved the statistics');
    // Bin edges come from training rows too: none lies past the training rows' maximum of its column.
    for (const { column, edges } of card.encoding.columns) {
      let max = -Infinity;
      for (const r of fold.train) max = Math.max(max, dataset.x.data[r * dataset.x.cols + column]!);
      assert.ok(edges.at(-1)! <= max, `${STORE_NAMES[column]} edges end at ${edges.at(-1)}, training max ${max}`);
    }
  }
});

test('bad rows are reported with their line numbers and skipped; --strict refuses the file', async () => {
  const bad = [...subsetLines];
  bad.splice(1, 0, 'bad-1,not-a-time,1,,view,2268318,2520377,,'); // line 3
  bad.splice(8, 0, 'bad-2,1511544070000,1,,teleport,2268318,2520377,,'); // line 10
  const file = writeEvents('bad-rows.csv', bad);
  const said: string[] = [];
  const result = await runTrainIntent({ events: file, dataDir: join(dir, 'bad'), register: false }, (l) => said.push(l), { recipe: TINY });
  assert.ok(said.some((l) => l.startsWith('skipped line 3: ts')), said.join('\n'));
  assert.ok(said.some((l) => l.startsWith('skipped line 10: type')), said.join('\n'));
  assert.ok(said.some((l) => /\(2 bad rows skipped/.test(l)));
  assert.equal(result.version, 'unregistered');
  assert.ok(result.model.roc_auc > 0 && result.baselines.logreg.roc_auc > 0);

  await assert.rejects(
    runTrainIntent({ events: file, strict: true, dataDir: join(dir, 'bad') }, quiet, { recipe: TINY }),
    (err: unknown) => err instanceof IobError && /line 3, column ts/.test(err.message) && /--strict/.test(err.message),
  );
});

test('an event file without purchases is refused with a clear single-class message; --cv with --events and --max-rows without it are refused', async () => {
  const file = writeEvents('no-purchases.csv', subsetLines.filter((l) => !l.includes(',purchase,')));
  await assert.rejects(
    runTrainIntent({ events: file, dataDir: join(dir, 'single') }, quiet, { recipe: TINY }),
    (err: unknown) => err instanceof IobError && /needs both classes/.test(err.message) && /no positive/.test(err.message),
  );
  await assert.rejects(
    runTrainIntent({ events: file, cv: 5, dataDir: join(dir, 'single') }, quiet, { recipe: TINY }),
    (err: unknown) => err instanceof IobError && err.problems?.some((p) => p.path === '--cv') === true,
  );
  await assert.rejects(
    runTrainIntent({ format: 'online-shoppers', data: file, maxRows: 5000, dataDir: join(dir, 'single') }, quiet, { recipe: TINY }),
    (err: unknown) => err instanceof IobError && err.problems?.some((p) => p.path === '--max-rows' && /--events/.test(p.message)) === true,
  );
});

test('purchases only in the older sessions: the error names the test period held out by time, not a fold', async () => {
  // 30 one-hour-apart sessions of two views; the first 20 end in a purchase, the newest 10 (the test period) do not.
  const start = 1_795_558_299_136;
  const lines: string[] = [];
  for (let s = 0; s < 30; s++) {
    const at = start + s * 3_600_000;
    lines.push(`v${s},${at},u${s},s${s},view,i1,c1,1,`, `w${s},${at + 1000},u${s},s${s},view,i2,c1,1,`);
    if (s < 20) lines.push(`p${s},${at + 2000},u${s},s${s},purchase,i1,c1,1,1`);
  }
  const file = writeEvents('late-no-purchases.csv', lines);
  await assert.rejects(
    runTrainIntent({ events: file, dataDir: join(dir, 'late'), register: false }, quiet, { recipe: TINY }),
    (err: unknown) => err instanceof IobError && /^the test period \(the newest sessions, held out by time/.test(err.message) && /no positive/.test(err.message),
  );
});

test('erased subjects are left out of the events, as `iob features build` leaves them out', async (t) => {
  const nats = await startTestNats(t);
  const dataDir = join(dir, 'erasure');
  const pseudonymize = createPseudonymizer(ensurePseudonymKey(dataDir));
  const nc = await connect({ servers: nats.url });
  const erasures = await openErasureList(nc.jetstream());
  await erasures.add(pseudonymize('subject', '1'));
  await erasures.close();
  await nc.close();

  const file = writeEvents('erasure.csv', subsetLines.slice(0, 2_000));
  const ofSubject1 = subsetLines.slice(0, 2_000).filter((l) => l.split(',')[2] === '1').length;
  assert.ok(ofSubject1 > 0);
  const scope = await openEventScope({ dataDir, natsUrl: nats.url }, quiet);
  try {
    assert.equal(scope.erasuresChecked, true);
    const read = await readFeatureEvents(file, scope, { say: quiet });
    assert.equal(read.excludedEvents, ofSubject1);
    assert.equal(read.events.length, 2_000 - ofSubject1);
    assert.ok(!read.events.subjects.values.includes(pseudonymize('subject', '1')));
  } finally {
    await scope.close();
  }
});
