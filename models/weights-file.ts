/**
 * Reads and writes the TF.js layers format (model.json + one weights.bin) without TF.js, so that serving
 * can load a model's weights as Float32Arrays and never import TF.js, and training can save without the
 * `file://` handler that only tfjs-node provides.
 *
 * model.json holds `modelTopology` and a `weightsManifest` listing each weight's name, shape and dtype;
 * weights.bin is their little-endian values concatenated in manifest order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

export function modelJson(modelTopology: unknown, weights: WeightSpec[], generatedBy?: string): ModelJson {
  return { format: 'layers-model', generatedBy, convertedBy: null, modelTopology, weightsManifest: [{ paths: [WEIGHTS_BIN], weights }] };
}

/** The weight specs of a model.json, checked to be one float32 shard named weights.bin (what we write). */
export function weightSpecsOf(json: ModelJson): WeightSpec[] {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length !== 1 || manifest[0]?.paths.length !== 1 || manifest[0].paths[0] !== WEIGHTS_BIN) {
    throw new RangeError(`${MODEL_JSON} must list exactly one weights file, ${WEIGHTS_BIN}`);
  }
  for (const w of manifest[0].weights) if (w.dtype !== 'float32') throw new RangeError(`weight '${w.name}' is ${w.dtype}; only float32 is supported`);
  return manifest[0].weights;
}

/** Splits weights.bin into one Float32Array per manifest entry (copies: the views stay aligned). */
export function decodeWeights(specs: WeightSpec[], bin: Uint8Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = size * 4;
    if (offset + bytes > bin.byteLength) throw new RangeError(`${WEIGHTS_BIN} is too short for weight '${spec.name}'`);
    const values = new Float32Array(size);
    new Uint8Array(values.buffer).set(bin.subarray(offset, offset + bytes));
    out.set(spec.name, values);
    offset += bytes;
  }
  if (offset !== bin.byteLength) throw new RangeError(`${WEIGHTS_BIN} holds ${bin.byteLength - offset} bytes more than its manifest lists`);
  return out;
}

/** Reads model.json and weights.bin from a folder. */
export async function readModelFiles(dir: string): Promise<{ json: ModelJson; specs: WeightSpec[]; bin: Uint8Array }> {
  const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as ModelJson;
  const specs = weightSpecsOf(json);
  const bin = new Uint8Array(await readFile(join(dir, WEIGHTS_BIN)));
  return { json, specs, bin };
}
