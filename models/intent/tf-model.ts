/**
 * The TF.js side of an intent model: save and load in the TF.js layers format through our own files,
 * the forward pass built from a live model's weights, and `model.predict` wrapped with the same
 * standardization and calibration — the reference the parity test and the benchmark compare against.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Matrix } from '../matrix.ts';
import { NO_ENCODING, encodeMatrix } from '../piecewise-linear.ts';
import { MODEL_JSON, WEIGHTS_BIN, modelJson, readModelFiles, type WeightSpec } from '../weights-file.ts';
import { INTENT_CARD_FILE, type IntentModelCard } from './card.ts';
import { IntentForward, type IntentForwardParts } from './forward.ts';

/** Weight values by their saved names (`m0_deep0/kernel`), read from a live model. */
export function namedWeightsOf(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  // originalName: TF.js suffixes `name` when a process builds several models with the same layer names.
  for (const w of model.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

/** The pure-TS forward pass over a live model's current weights. */
export function forwardOf(model: tf.LayersModel, parts: Omit<IntentForwardParts, 'weights'>): IntentForward {
  return new IntentForward({ ...parts, weights: namedWeightsOf(model) });
}

/** Writes model.json, weights.bin and model-card.json into `dir` (created if missing). */
export async function saveIntentModel(dir: string, model: tf.LayersModel, card: IntentModelCard): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bin = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      const specs = (artifacts.weightSpecs ?? []) as WeightSpec[];
      await writeFile(join(dir, WEIGHTS_BIN), bin);
      await writeFile(join(dir, MODEL_JSON), JSON.stringify(modelJson(artifacts.modelTopology, specs, artifacts.generatedBy)));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bin.byteLength } };
    }),
  );
  await writeFile(join(dir, INTENT_CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
}

/** Loads the TF.js model saved by `saveIntentModel` (for parity checks and benchmarks; serving does not). */
export async function loadIntentTfModel(dir: string): Promise<tf.LayersModel> {
  const { json, specs, bin } = await readModelFiles(dir);
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData }));
}

/**
 * Calibrated probabilities through `model.predict`, standardizing and calibrating with TF.js ops. The bin
 * encoding is feature preparation (no TF.js equivalent), so both paths share `encodeMatrix`.
 */
export function tfPredictScores(model: tf.LayersModel, parts: Omit<IntentForwardParts, 'weights' | 'architecture'>, raw: Matrix): Float32Array {
  const { standardization, calibration, encoding = NO_ENCODING } = parts;
  const m = encodeMatrix(raw, encoding);
  return tf.tidy(() => {
    const x = tf.tensor2d(m.data, [m.rows, m.cols]);
    const z = tf.div(tf.sub(x, tf.tensor1d(standardization.mean)), tf.tensor1d(standardization.std));
    const logit = model.predict(z) as tf.Tensor;
    return tf.sigmoid(tf.add(tf.mul(logit, calibration.a), calibration.b)).dataSync() as Float32Array;
  });
}
