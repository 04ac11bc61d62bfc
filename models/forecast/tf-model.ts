/**
 * The TF.js side of the forecast model: the network builder, the pinball loss it trains on, and save /
 * load in the TF.js layers format through our own files (model.json + weights.bin; no tfjs-node `file://`
 * handler here). Serving never imports this file: it loads weights with `load.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { averageMembers, hiddenStack, layerSeed, type MemberEnsemble } from '../member-ensemble.ts';
import { MODEL_JSON, WEIGHTS_BIN, modelJson, readModelFiles, type WeightSpec } from '../weights-file.ts';
import { memberLayerNames, OUTPUTS_PER_STEP, validateArchitecture, type ForecastArchitecture } from './architecture.ts';
import { FORECAST_CARD_FILE, type ForecastModelCard } from './card.ts';
import { ForecastForward } from './forward.ts';
import { QUANTILE_LEVELS } from './quantiles.ts';

type Tf = typeof tfjs;

export type ForecastNetwork = MemberEnsemble;

export function buildForecastNetwork(tf: Tf, arch: ForecastArchitecture, seed: number): ForecastNetwork {
  validateArchitecture(arch);
  const input = tf.input({ shape: [arch.inputs], name: 'features' });
  const outputs: tfjs.SymbolicTensor[] = [];
  const members: tfjs.LayersModel[] = [];
  for (let k = 0; k < arch.members; k++) {
    const names = memberLayerNames(arch, k);
    const h = hiddenStack(tf, input, { names: names.hidden, units: arch.hidden, activation: 'relu' }, seed, k);
    // Small initial outputs: the scaled median starts near 0 and the gaps near softplus(0), not far off.
    const out = tf.layers
      .dense({ name: names.out, units: arch.horizon * OUTPUTS_PER_STEP, kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(seed, k, 100) }) })
      .apply(h) as tfjs.SymbolicTensor;
    outputs.push(out);
    members.push(tf.model({ inputs: input, outputs: out }));
  }
  return { ensemble: averageMembers(tf, input, outputs, { layer: 'ensemble_mean', model: 'forecast' }), members };
}

/**
 * Weighted pinball loss over p10/p50/p90 of every step, decoding raw outputs the way `decodeQuantiles`
 * does (without the clipping at zero, which has no gradient): raw [B, 3H], target [B, H] (scaled),
 * weight [B]. Written as few whole-tensor ops (pinball ρ_q(d) = |d|/2 + (q − ½)·d, the three quantiles
 * of a step as one [B, H, 3] tensor), because on the wasm backend the loss would otherwise cost as much
 * as the network.
 */
export function pinballLoss(tf: Tf, raw: tfjs.Tensor, target: tfjs.Tensor, weight: tfjs.Tensor): tfjs.Scalar {
  return tf.tidy(() => {
    const [batch] = raw.shape as [number, number];
    const parts = tf.reshape(raw, [batch, -1, OUTPUTS_PER_STEP]);
    const mid = tf.slice(parts, [0, 0, 0], [-1, -1, 1]);
    // Columns: (p50, p10, p90) = mid + (0, −softplus(z₁), +softplus(z₂)).
    const quantiles = tf.add(mid, tf.mul(tf.softplus(parts), tf.tensor1d([0, -1, 1])));
    const diff = tf.sub(tf.expandDims(target, 2), quantiles);
    const levels = tf.tensor1d([QUANTILE_LEVELS[1] - 0.5, QUANTILE_LEVELS[0] - 0.5, QUANTILE_LEVELS[2] - 0.5]);
    const loss = tf.add(tf.mul(tf.abs(diff), 0.5), tf.mul(diff, levels));
    // Sum over the three quantiles, mean over steps: the same scale as the per-quantile means added up.
    const perRow = tf.mul(tf.mean(tf.sum(loss, 2), 1), weight);
    return tf.div(tf.sum(perRow), tf.sum(weight)) as tfjs.Scalar;
  });
}

/** Weight values by their saved names, read from a live model. */
export function namedWeightsOf(model: tfjs.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  // originalName: TF.js suffixes `name` when a process builds several models with the same layer names.
  for (const w of model.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

export function forwardOf(model: tfjs.LayersModel, arch: ForecastArchitecture): ForecastForward {
  return new ForecastForward(arch, namedWeightsOf(model));
}

/** Writes model.json, weights.bin and model-card.json into `dir` (created if missing). */
export async function saveForecastModel(tf: Tf, dir: string, model: tfjs.LayersModel, card: ForecastModelCard): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bin = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      await writeFile(join(dir, WEIGHTS_BIN), bin);
      await writeFile(join(dir, MODEL_JSON), JSON.stringify(modelJson(artifacts.modelTopology, (artifacts.weightSpecs ?? []) as WeightSpec[], artifacts.generatedBy)));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bin.byteLength } };
    }),
  );
  await writeFile(join(dir, FORECAST_CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
}

/** Loads the TF.js model saved by `saveForecastModel` (parity checks; serving uses load.ts). */
export async function loadForecastTfModel(tf: Tf, dir: string): Promise<tfjs.LayersModel> {
  const { json, specs, bin } = await readModelFiles(dir);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs as tfjs.io.WeightsManifestEntry[], weightData }));
}

/** Raw outputs through `model.predict`, row by row of a [rows × inputs] feature block. */
export function predictRaw(tf: Tf, model: tfjs.LayersModel, features: Float32Array, rows: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d(features, [rows, features.length / rows]);
    return (model.predict(x) as tfjs.Tensor).dataSync() as Float32Array;
  });
}
