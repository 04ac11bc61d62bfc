/**
 * Loads a saved intent model for serving: model-card.json + model.json + weights.bin → an IntentForward.
 * Imports no TF.js (the weights are read as Float32Arrays), so a serving process stays small and a folder
 * that fails to load throws a clear error the caller can report while keeping its previous version.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { servingVersion, versionDir } from '../registry.ts';
import { decodeWeights, readModelFiles } from '../weights-file.ts';
import { INTENT_CARD_FILE, parseIntentCard, type IntentModelCard } from './card.ts';
import { IntentForward } from './forward.ts';

export interface LoadedIntentModel {
  card: IntentModelCard;
  forward: IntentForward;
}

export async function readIntentCard(dir: string): Promise<IntentModelCard> {
  return parseIntentCard(JSON.parse(await readFile(join(dir, INTENT_CARD_FILE), 'utf8')));
}

export async function loadIntentForward(dir: string): Promise<LoadedIntentModel> {
  const card = await readIntentCard(dir);
  const { specs, bin } = await readModelFiles(dir);
  const forward = new IntentForward({
    architecture: card.architecture,
    weights: decodeWeights(specs, bin),
    standardization: card.normalization,
    calibration: card.calibration,
    encoding: card.encoding,
  });
  return { card, forward };
}

/**
 * The version the registry's pointer names, loaded; `undefined` when none has been promoted. Serving calls
 * this at start and when SERVING.json changes, and keeps its current model if this throws.
 */
export async function loadServingIntentModel(registryRoot: string): Promise<LoadedIntentModel | undefined> {
  const version = await servingVersion(registryRoot, 'intent');
  if (version === undefined) return undefined;
  const loaded = await loadIntentForward(versionDir(registryRoot, 'intent', version));
  if (loaded.card.version !== version) throw new RangeError(`folder ${version} holds a model card for version ${loaded.card.version}`);
  return loaded;
}
