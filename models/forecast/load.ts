/**
 * Loads a saved forecast model for serving: model-card.json + model.json + weights.bin → a Forecaster.
 * Imports no TF.js (weights are read as Float32Arrays); a folder that fails to load throws a clear error
 * so the caller can keep its previous version.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWeights, readModelFiles } from '../weights-file.ts';
import { FORECAST_CARD_FILE, parseForecastCard, type ForecastModelCard } from './card.ts';
import { Forecaster } from './forecaster.ts';
import { ForecastForward } from './forward.ts';

export interface LoadedForecastModel {
  card: ForecastModelCard;
  forecaster: Forecaster;
}

export async function readForecastCard(dir: string): Promise<ForecastModelCard> {
  return parseForecastCard(JSON.parse(await readFile(join(dir, FORECAST_CARD_FILE), 'utf8')));
}

export async function loadForecaster(dir: string): Promise<LoadedForecastModel> {
  const card = await readForecastCard(dir);
  const { specs, bin } = await readModelFiles(dir);
  const forward = new ForecastForward(card.architecture, decodeWeights(specs, bin));
  return { card, forecaster: new Forecaster(card.featureSpec, forward, card.calibration) };
}
