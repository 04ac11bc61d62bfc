import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { INTENT_CARD_FILE, INTENT_CARD_SCHEMA_VERSION, type IntentModelCard } from '../../models/intent/card.ts';
import { loadIntentForward } from '../../models/intent/load.ts';
import { loadIntentTfModel, saveIntentModel, tfPredictScores } from '../../models/intent/tf-model.ts';
import { selectRows } from '../../models/matrix.ts';
import { MODEL_JSON, WEIGHTS_BIN } from '../../models/weights-file.ts';
import { tinyIntentModel } from './tiny-intent-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'iob-intent-artifact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const { dataset, fitted } = await tinyIntentModel();
const card: IntentModelCard = {
  schemaVersion: INTENT_CARD_SCHEMA_VERSION,
  task: 'intent',
  version: 'test-1',
  createdAt: new Date(0).toISOString(),
  purposes: ['personalization'],
  features: dataset.features,
  encoding: fitted.encoding,
  normalization: { ...fitted.standardization, computedOn: 'test rows' },
  architecture: fitted.architecture,
  calibration: { ...fitted.calibration, fittedOn: 'test rows' },
  training: { format: 'online-shoppers', dataFile: 'x.csv', dataHash: 'sha256:0', rows: 1, positives: 1, seed: 7, backend: 'test', seconds: 0, hyperparameters: {} },
  split: { kind: 'test' },
  metrics: { model: { roc_auc: 0.9, pr_auc: 0.7, f1: 0.6, brier: 0.08 }, baselines: { prior: { roc_auc: 0.5, pr_auc: 0.15, f1: 0.27, brier: 0.13 } } },
};
const modelDir = join(dir, 'v1');
await saveIntentModel(modelDir, fitted.network, card);
const rows = selectRows(dataset.x, Uint32Array.from({ length: 300 }, (_, i) => i * 41));
const before = fitted.forward.scoreMatrix(rows);

test('save writes TF.js layers format: model.json with a weights manifest, weights.bin, and the card', () => {
  const json = JSON.parse(readFileSync(join(modelDir, MODEL_JSON), 'utf8')) as { format: string; modelTopology: unknown; weightsManifest: Array<{ paths: string[] }> };
  assert.equal(json.format, 'layers-model');
  assert.ok(json.modelTopology);
  assert.deepEqual(json.weightsManifest[0]!.paths, [WEIGHTS_BIN]);
  const saved = JSON.parse(readFileSync(join(modelDir, INTENT_CARD_FILE), 'utf8')) as IntentModelCard;
  assert.deepEqual(saved.purposes, ['personalization']);
  assert.equal(saved.normalization.mean.length, fitted.architecture.inputs);
});

test('save → load (pure TS, no TF.js) gives identical predictions', async () => {
  const loaded = await loadIntentForward(modelDir);
  assert.equal(loaded.card.version, 'test-1');
  assert.deepEqual(loaded.forward.scoreMatrix(rows), before);
});

test('save → load (TF.js) gives identical model.predict outputs', async () => {
  const model = await loadIntentTfModel(modelDir);
  const parts = { standardization: fitted.standardization, calibration: fitted.calibration, encoding: fitted.encoding };
  assert.deepEqual(tfPredictScores(model, parts, rows), tfPredictScores(fitted.network, parts, rows));
  model.dispose();
});

test('a broken model folder fails to load with a message naming the problem', async () => {
  const broken = join(dir, 'broken');
  await saveIntentModel(broken, fitted.network, card);
  const cardJson = JSON.parse(readFileSync(join(broken, INTENT_CARD_FILE), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(broken, INTENT_CARD_FILE), JSON.stringify({ ...cardJson, schemaVersion: 99 }));
  await assert.rejects(loadIntentForward(broken), /schemaVersion/);
  writeFileSync(join(broken, INTENT_CARD_FILE), JSON.stringify({ ...cardJson, features: ['only-one'] }));
  await assert.rejects(loadIntentForward(broken), /disagree on the number of inputs/);
  writeFileSync(join(broken, INTENT_CARD_FILE), JSON.stringify(cardJson));
  writeFileSync(join(broken, WEIGHTS_BIN), readFileSync(join(modelDir, WEIGHTS_BIN)).subarray(0, 100));
  await assert.rejects(loadIntentForward(broken), /too short/);
  rmSync(join(broken, MODEL_JSON));
  await assert.rejects(loadIntentForward(broken), /ENOENT/);
});
