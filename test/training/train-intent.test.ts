import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IobError } from '../../engine/index.ts';
import { loadIntentForward, loadServingIntentModel } from '../../models/intent/load.ts';
import { listVersions, servingVersion } from '../../models/registry.ts';
import { runTrainIntent, type TrainIntentOptions } from '../../training/train-intent.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { ONLINE_SHOPPERS, TINY_RECIPE } from '../models/tiny-intent-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'iob-train-intent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Every fourth session of the real file: ~3,100 rows, all months, the real class balance.
const lines = readFileSync(ONLINE_SHOPPERS, 'utf8').trimEnd().split('\n');
const subset = join(dir, 'subset.csv');
writeFileSync(subset, [lines[0], ...lines.slice(1).filter((_, i) => i % 4 === 0)].join('\n'));

const quiet = (): void => undefined;
const base: TrainIntentOptions = { format: 'online-shoppers', data: subset, dataDir: dir, seed: 3 };

test('cross-validated run: metrics beside baselines, a report with inline plots, a registered serving version', async () => {
  const said: string[] = [];
  let ticks = 0;
  const result = await runTrainIntent({ ...base, cv: 2 }, (line) => said.push(line), {
    recipe: TINY_RECIPE,
    progress: () => ({ increment: (n = 1) => void (ticks += n), stop: quiet }),
  });
  assert.equal(result.task, 'intent');
  for (const scores of [result.model, result.baselines.prior, result.baselines.logreg]) {
    assert.deepEqual(Object.keys(scores).sort(), ['brier', 'f1', 'pr_auc', 'roc_auc']);
  }
  assert.equal(result.baselines.prior.roc_auc, 0.5);
  assert.ok(result.model.roc_auc > 0.8, `model ROC-AUC ${result.model.roc_auc}`);
  assert.ok(result.baselines.logreg.roc_auc > 0.8);
  assert.equal(result.split.kind, 'stratified-kfold');
  assert.equal(result.split.folds, 2);
  assert.ok(ticks > 0, 'progress moved');
  assert.ok(said.some((l) => l.startsWith('fold 2/2')));

  const html = readFileSync(result.paths.report, 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 3, 'ROC, PR and calibration plots');
  assert.doesNotMatch(html, /<script|<link /, 'self-contained: no scripts, no stylesheets from elsewhere');
  assert.match(html, /logistic regression/);

  const registry = join(dir, 'models');
  assert.equal(await servingVersion(registry, 'intent'), result.version, 'the first version serves');
  const { card, forward } = await loadIntentForward(result.paths.model!);
  assert.deepEqual(card.purposes, ['personalization']);
  assert.deepEqual(card.metrics.model, result.model);
  assert.match(card.training.dataHash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(forward.inputs, card.features.length);
  const serving = await loadServingIntentModel(registry);
  assert.equal(serving?.card.version, result.version);
  assert.equal(serving.forward.score(new Float32Array(forward.inputs)), forward.score(new Float32Array(forward.inputs)));
});

test('the same seed gives the same metrics; a second version does not replace the serving one unasked', async () => {
  const a = await runTrainIntent({ ...base, register: false }, quiet, { recipe: TINY_RECIPE });
  const b = await runTrainIntent({ ...base }, quiet, { recipe: TINY_RECIPE, now: () => new Date('2030-01-01T00:00:00Z') });
  assert.deepEqual(a.model, b.model);
  assert.deepEqual(a.baselines, b.baselines);
  assert.equal(a.split.kind, 'time');
  const registry = join(dir, 'models');
  assert.equal((await listVersions(registry, 'intent')).length, 2);
  assert.notEqual(await servingVersion(registry, 'intent'), b.version);
  assert.ok(b.version.startsWith('20300101T000000Z-'));
});

test('a dataset with a single class is refused with a clear error before any training', async () => {
  const negatives = join(dir, 'negatives.csv');
  writeFileSync(negatives, [lines[0], ...lines.slice(1).filter((l) => l.trimEnd().endsWith('FALSE')).slice(0, 200)].join('\n'));
  await assert.rejects(
    runTrainIntent({ ...base, data: negatives, dataDir: join(dir, 'single') }, quiet, { recipe: TINY_RECIPE }),
    (err: unknown) => err instanceof IobError && /needs both classes/.test(err.message) && /no positive/.test(err.message),
  );
  assert.ok(!existsSync(join(dir, 'single', 'models', 'intent')), 'nothing registered');
});

test('bad options are refused with the flag named', async () => {
  await assert.rejects(runTrainIntent({ ...base, cv: 1 }, quiet), (err: unknown) => err instanceof IobError && err.problems[0]?.path === '--cv');
  await assert.rejects(runTrainIntent({ ...base, format: 'csv' as 'online-shoppers' }, quiet), (err: unknown) => err instanceof IobError && err.problems[0]?.path === '--format');
  await assert.rejects(runTrainIntent({ ...base, promote: true, register: false }, quiet), (err: unknown) => err instanceof IobError && err.problems[0]?.path === '--promote' && /--no-register/.test(err.problems[0].message));
});

test('iob train intent --no-register reaches the options: with --promote it is refused, exit 2', () => {
  const run = spawnSync(process.execPath, [IOB_BIN, 'train', 'intent', '--format', 'online-shoppers', '--data', subset, '--no-register', '--promote', '--data-dir', join(dir, 'no-register')], { encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--promote serves the version this run registers; with --no-register there is none/);
  assert.equal(existsSync(join(dir, 'no-register', 'models')), false, 'nothing registered');
});

test('a bad row of a --data file is reported with line and column and skipped; --strict refuses it', async () => {
  const rows = lines.map((l) => l.trimEnd()); // the file ends its lines with CRLF
  const badRow = rows[1]!.replace(/,(TRUE|FALSE)$/, ',MAYBE');
  const file = join(dir, 'one-bad-row.csv');
  writeFileSync(file, [rows[0], ...rows.slice(1).filter((l) => l.endsWith('FALSE')).slice(0, 50), badRow].join('\n'));
  const said: string[] = [];
  // All negatives: the run stops at the single-class check, after the read has reported the bad row.
  await assert.rejects(runTrainIntent({ ...base, data: file, dataDir: join(dir, 'bad-row') }, (l) => said.push(l), { recipe: TINY_RECIPE }), /needs both classes/);
  assert.ok(said.some((l) => /skipped 1 bad row/.test(l)), said.join('\n'));
  assert.ok(said.some((l) => /line 52, column Revenue: is not TRUE\/FALSE/.test(l)), said.join('\n'));
  await assert.rejects(
    runTrainIntent({ ...base, data: file, strict: true, dataDir: join(dir, 'bad-row') }, quiet, { recipe: TINY_RECIPE }),
    (err: unknown) => err instanceof IobError && err.message.startsWith(`${file}, line 52, column Revenue:`),
  );
});

test('a --data file that does not exist is refused naming it, exit 2 and no stack trace', () => {
  const missing = join(dir, 'no-such-file.csv');
  const run = spawnSync(process.execPath, [IOB_BIN, 'train', 'intent', '--format', 'online-shoppers', '--data', missing, '--data-dir', join(dir, 'missing')], { encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.ok(run.stderr.includes(`${missing}: no such file`), run.stderr);
  assert.equal(run.stderr.includes('    at '), false, 'no stack trace');
});
