/**
 * The intent model's training recipe, applied to one training range (a CV fold's training part, or all data
 * for the registered version):
 *
 * 1. the time-latest `validationFraction` of the range is held out (early stopping and calibration);
 * 2. standardization statistics come from the training range only;
 * 3. the ensemble's members are fitted on the earlier rows, with class weights;
 * 4. Platt calibration is fitted on the held-out later rows' logits — the later slice stands for the future
 *    the model will score, so calibration answers "how often does a score of p buy, later on".
 *
 * Returns the TF.js network (to save) and its pure-TS forward pass (to evaluate and serve).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { IDENTITY_CALIBRATION, fitPlatt, type PlattCalibration } from '../models/calibration.ts';
import type { IntentArchitecture } from '../models/intent/architecture.ts';
import { buildIntentNetwork } from '../models/intent/build.ts';
import type { IntentForward } from '../models/intent/forward.ts';
import { forwardOf } from '../models/intent/tf-model.ts';
import { tfBackend } from '../models/tf-backend.ts';
import { pick, selectRows, type Matrix } from '../models/matrix.ts';
import { fitStandardization, standardizeMatrix, type Standardization } from '../models/standardize.ts';
import { fitIntentNetwork, type MemberFitReport, type NetworkFitOptions } from './fit-intent-network.ts';
import { requireBothClasses } from './single-class.ts';
import { splitByTime } from './splits.ts';

export interface IntentRecipe {
  hidden: number[];
  activation: IntentArchitecture['activation'];
  wide: boolean;
  members: number;
  /** Share of the training range, latest by time, held out for early stopping and calibration. */
  validationFraction: number;
  /** 'balanced' weighs positives by negatives/positives of the fitting rows. */
  positiveWeight: number | 'balanced';
  fit: Omit<NetworkFitOptions, 'seed' | 'positiveWeight'>;
}

export const DEFAULT_INTENT_RECIPE: IntentRecipe = {
  hidden: [32, 16],
  activation: 'relu',
  wide: true,
  members: 5,
  validationFraction: 0.15,
  positiveWeight: 'balanced',
  fit: { maxEpochs: 60, batchSize: 128, learningRate: 1e-3, l2: 1e-4, patience: 8 },
};

export interface FittedIntentModel {
  network: tfjs.LayersModel;
  architecture: IntentArchitecture;
  standardization: Standardization;
  calibration: PlattCalibration;
  forward: IntentForward;
  members: MemberFitReport[];
  rows: { fit: number; validation: number; validationPositives: number };
}

export async function fitIntentModel(
  x: Matrix,
  labels: Uint8Array,
  trainingRows: ArrayLike<number>,
  timeKey: ArrayLike<number>,
  recipe: IntentRecipe,
  seed: number,
  onEpochs: (n: number) => void = () => undefined,
): Promise<FittedIntentModel> {
  const { earlier, later } = splitByTime(trainingRows, timeKey, recipe.validationFraction);
  const fitY = pick(labels, earlier);
  const valY = pick(labels, later);
  const counts = requireBothClasses(fitY, 'the intent model (fitting rows)');
  requireBothClasses(valY, 'calibration (the time-later validation slice)');

  const standardization = fitStandardization(selectRows(x, trainingRows));
  const fitX = standardizeMatrix(selectRows(x, earlier), standardization);
  const valX = standardizeMatrix(selectRows(x, later), standardization);

  const architecture: IntentArchitecture = {
    kind: 'wide-and-deep-ensemble',
    inputs: x.cols,
    hidden: recipe.hidden,
    activation: recipe.activation,
    wide: recipe.wide,
    members: recipe.members,
  };
  const net = buildIntentNetwork((await tfBackend()).tf, architecture, seed);
  const positiveWeight = recipe.positiveWeight === 'balanced' ? counts.negatives / counts.positives : recipe.positiveWeight;
  const members = await fitIntentNetwork(net, { x: fitX, y: fitY }, { x: valX, y: valY }, { ...recipe.fit, positiveWeight, seed }, onEpochs);

  // Calibrate the ensemble's logits on the later rows, through the same forward pass that serves.
  const uncalibrated = forwardOf(net.ensemble, architecture, standardization, IDENTITY_CALIBRATION);
  const calibration = fitPlatt(uncalibrated.logitMatrix(selectRows(x, later)), valY);
  return {
    network: net.ensemble,
    architecture,
    standardization,
    calibration,
    forward: forwardOf(net.ensemble, architecture, standardization, calibration),
    members,
    rows: { fit: earlier.length, validation: later.length, validationPositives: countOnes(valY) },
  };
}

function countOnes(values: Uint8Array): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}
