import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { NO_CALIBRATION, type ForecastArchitecture } from '../../models/forecast/architecture.ts';
import { parseDay } from '../../models/forecast/calendar.ts';
import { FORECAST_CARD_SCHEMA_VERSION, type ForecastModelCard } from '../../models/forecast/card.ts';
import { defaultFeatureSpec, featureCount, featureNames, firstSale, seriesScale, writeFeatures } from '../../models/forecast/features.ts';
import { Forecaster } from '../../models/forecast/forecaster.ts';
import { loadForecaster } from '../../models/forecast/load.ts';
import { buildForecastNetwork, forwardOf, loadForecastTfModel, pinballLoss, predictRaw, saveForecastModel } from '../../models/forecast/tf-model.ts';
import { tfBackend } from '../../models/tf-backend.ts';
import { pinball } from '../../training/forecast/metrics.ts';

const H = 14;
const spec = defaultFeatureSpec('day', H);
const origin = parseDay('2024-06-30') as number;

/** A noisy weekly series with a slow yearly swing and some zero days. */
function history(n: number, seed: number): Float64Array {
  return Float64Array.from({ length: n }, (_, t) => {
    const noise = ((t * 7919 + seed * 104729) % 17) / 17;
    return t % 11 === seed % 11 ? 0 : Math.round((10 + seed) * (1 + 0.4 * Math.sin((2 * Math.PI * t) / 7)) * (1 + 0.2 * Math.sin((2 * Math.PI * t) / 364)) + 5 * noise);
  });
}

function featureRows(rows: number): Float32Array {
  const x = new Float32Array(rows * featureCount(spec));
  for (let r = 0; r < rows; r++) {
    const y = history(400 + r * 13, r);
    const t = y.length - 1;
    writeFeatures(y, t, origin + r, spec, seriesScale(y, t, firstSale(y, t), spec), x, r * featureCount(spec));
  }
  return x;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iob-forecast-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const arch: ForecastArchitecture = { kind: 'quantile-mlp-ensemble', inputs: featureCount(spec), horizon: H, hidden: [24, 16], members: 2 };

test('features: names match the count, and nothing after the origin is read', () => {
  assert.equal(featureNames(spec).length, featureCount(spec));
  assert.equal(featureNames(defaultFeatureSpec('week', 13)).length, featureCount(defaultFeatureSpec('week', 13)));
  const y = history(500, 3);
  const t = 420;
  const a = new Float32Array(featureCount(spec));
  const b = new Float32Array(featureCount(spec));
  const scale = seriesScale(y, t, firstSale(y, t), spec);
  writeFeatures(y, t, origin, spec, scale, a, 0);
  const changed = Float64Array.from(y);
  for (let i = t + 1; i < changed.length; i++) changed[i] = 1e6;
  writeFeatures(changed, t, origin, spec, seriesScale(changed, t, firstSale(changed, t), spec), b, 0);
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => Number.isFinite(v) && v >= -1 && v <= spec.clip));
});

test('the TypeScript forward pass equals model.predict within 1e-5', async () => {
  const { tf } = await tfBackend();
  const network = buildForecastNetwork(tf, arch, 11);
  try {
    const rows = 16;
    const x = featureRows(rows);
    const expected = predictRaw(tf, network.ensemble, x, rows);
    const forward = forwardOf(network.ensemble, arch);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const raw = forward.raw(x.subarray(r * arch.inputs, (r + 1) * arch.inputs));
      for (let u = 0; u < raw.length; u++) worst = Math.max(worst, Math.abs((raw[u] as number) - (expected[r * raw.length + u] as number)));
    }
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  } finally {
    network.ensemble.dispose();
  }
});

test('the TF.js training loss is the pinball loss the metrics compute', async () => {
  const { tf } = await tfBackend();
  const raw = [0.5, -1, 0.3, 2, 0.1, 0.2]; // two steps: (mid, low gap, high gap)
  const target = [0.2, 3];
  const loss = tf.tidy(() => pinballLoss(tf, tf.tensor2d(raw, [1, 6]), tf.tensor2d(target, [1, 2]), tf.ones([1])).dataSync()[0] as number);
  const softplus = (v: number) => Math.log1p(Math.exp(v));
  let expected = 0;
  for (let h = 0; h < 2; h++) {
    const [mid, lo, hi] = [raw[h * 3] as number, raw[h * 3 + 1] as number, raw[h * 3 + 2] as number];
    const a = target[h] as number;
    expected += (pinball(0.1, a, mid - softplus(lo)) + pinball(0.5, a, mid) + pinball(0.9, a, mid + softplus(hi))) / 2;
  }
  assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
});

test('save → load round trip: the served forecaster and the reloaded TF.js model give the same numbers', async (t) => {
  const { tf, name } = await tfBackend();
  const dir = await tempDir(t);
  const network = buildForecastNetwork(tf, arch, 5);
  const calibration = { low: 1.2, high: 0.9 };
  const live = new Forecaster(spec, forwardOf(network.ensemble, arch), calibration);
  const card: ForecastModelCard = {
    schemaVersion: FORECAST_CARD_SCHEMA_VERSION,
    task: 'forecast',
    version: 'forecast-test',
    createdAt: new Date(0).toISOString(),
    purposes: ['forecasting'],
    features: featureNames(spec),
    featureSpec: spec,
    architecture: arch,
    calibration: { ...calibration, fittedOn: 'test' },
    training: { source: 'test', dataHash: 'x', series: 1, samples: 0, seed: 5, backend: name, seconds: 0, hyperparameters: {} },
    split: {},
    metrics: { model: { wape: 0.5, mase: null, coverage_80: 0.8, pinball: { p10: 1, p50: 1, p90: 1, mean: 1 } }, baselines: {} },
  };
  try {
    await saveForecastModel(tf, dir, network.ensemble, card);
    const loaded = await loadForecaster(dir);
    assert.equal(loaded.card.version, 'forecast-test');
    assert.deepEqual(loaded.card.purposes, ['forecasting']);
    const y = history(380, 4);
    const a = live.forecast(y, origin);
    const b = loaded.forecaster.forecast(y, origin);
    assert.deepEqual(b, a);
    assert.ok(a.p50.some((v) => v > 0));
    for (let h = 0; h < H; h++) assert.ok((a.p10[h] as number) <= (a.p50[h] as number) && (a.p50[h] as number) <= (a.p90[h] as number));
    assert.deepEqual(loaded.forecaster.forecast(y, origin, 3).p50, a.p50.slice(0, 3));

    const reloaded = await loadForecastTfModel(tf, dir);
    const x = featureRows(4);
    assert.deepEqual(predictRaw(tf, reloaded, x, 4), predictRaw(tf, network.ensemble, x, 4));
    reloaded.dispose();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    assert.deepEqual(json.weightsManifest[0]?.paths, ['weights.bin']);
  } finally {
    network.ensemble.dispose();
  }
});

test('an all-zero history is forecast as zeros; an out-of-range horizon is refused', async () => {
  const { tf } = await tfBackend();
  const network = buildForecastNetwork(tf, arch, 1);
  try {
    const forecaster = new Forecaster(spec, forwardOf(network.ensemble, arch), NO_CALIBRATION);
    const f = forecaster.forecast(new Float64Array(60), origin);
    assert.ok(f.p90.every((v) => v === 0));
    assert.deepEqual(Array.from(forecaster.forecast([], origin).p50), new Array(H).fill(0));
    assert.throws(() => forecaster.forecast([1, 2], origin, H + 1), /horizon must be 1\.\.14/);
  } finally {
    network.ensemble.dispose();
  }
});
