/** A small intent model fitted in a few seconds on real Online Shoppers rows, for tests of the model side. */
import { fileURLToPath } from 'node:url';
import { featureMatrix, featureNames, loadOnlineShoppers, withinMonthTimeKeys } from '../../training/online-shoppers.ts';
import { DEFAULT_INTENT_RECIPE, fitIntentModel, type FittedIntentModel, type IntentDataset, type IntentRecipe } from '../../training/intent-recipe.ts';

export const ONLINE_SHOPPERS = fileURLToPath(new URL('../../../shared/data/online-shoppers/online_shoppers_intention.csv', import.meta.url));

export const TINY_RECIPE: IntentRecipe = {
  ...DEFAULT_INTENT_RECIPE,
  piecewiseLinear: { features: ['log1p(PageValues)', 'ExitRates'], bins: 4 },
  hidden: [16, 8],
  members: 2,
  refit: true,
  fit: { ...DEFAULT_INTENT_RECIPE.fit, maxEpochs: 2, patience: 1 },
};

export async function onlineShoppersDataset(): Promise<IntentDataset> {
  const data = await loadOnlineShoppers(ONLINE_SHOPPERS);
  return { x: featureMatrix(data.sessions, 'engineered'), labels: data.labels, features: featureNames('engineered'), timeKey: withinMonthTimeKeys(data.sessions) };
}

/** Fits on every third row (a ~4,100-row training range spanning all months). */
export async function tinyIntentModel(recipe: IntentRecipe = TINY_RECIPE, seed = 7): Promise<{ dataset: IntentDataset; fitted: FittedIntentModel }> {
  const dataset = await onlineShoppersDataset();
  const rows = Uint32Array.from({ length: Math.ceil(dataset.labels.length / 3) }, (_, i) => i * 3);
  return { dataset, fitted: await fitIntentModel(dataset, rows, recipe, seed) };
}
