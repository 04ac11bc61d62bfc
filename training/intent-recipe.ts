/**
 * The intent model's training recipe, applied to one training range (a CV fold's training part, or all data
 * for the registered version):
 *
 * 1. the latest `validationFraction` of the range by the dataset's time key is held out (early stopping and
 *    calibration); for Online Shoppers that key is the position within the month (see online-shoppers.ts);
 * 2. bin edges (piecewise-linear encoding) and standardization statistics come from the training range only;
 * 3. the ensemble's members are fitted on the earlier rows, with class weights;
 * 4. Platt calibration is fitted on the held-out later rows' logits — the later slice stands for the future
 *    the model will score, so calibration answers "how often does a score of p buy, later on";
 * 5. optionally (`refit`), members are refitted on the whole range for the epochs chosen in step 3.
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
import { encodeMatrix, fitPiecewiseLinear, type PiecewiseLinearEncoding } from '../models/piecewise-linear.ts';
import { fitStandardization, standardizeMatrix, type Standardization } from '../models/standardize.ts';
import { fitIntentNetwork, type MemberFitReport, type NetworkFitOptions } from './fit-intent-network.ts';
import { requireBothClasses } from './single-class.ts';
import { splitByTime } from './splits.ts';

export interface IntentRecipe {
  /** Features given a piecewise-linear encoding, by name (absent names are an error), and its bin count. */
  piecewiseLinear: { features: string[]; bins: number };
  hidden: number[];
  activation: IntentArchitecture['activation'];
  wide: boolean;
  members: number;
  /** Share of the training range, latest by time, held out for early stopping and calibration. */
  validationFraction: number;
  /**
   * Refit each member on the whole training range for the epochs early stopping chose, keeping the
   * calibration fitted before. The later slice is then seen in training (its newest months included) at the
   * cost of calibration parameters fitted on a sibling network of the same recipe.
   */
  refit: boolean;
  /** 'balanced' weighs positives by negatives/positives of the fitting rows. */
  positiveWeight: number | 'balanced';
  fit: Omit<NetworkFitOptions, 'seed' | 'positiveWeight'>;
}

export const DEFAULT_INTENT_RECIPE: IntentRecipe = {
  piecewiseLinear: { features: [], bins: 8 },
  hidden: [32, 16],
  activation: 'relu',
  wide: true,
  members: 5,
  validationFraction: 0.15,
  refit: false,
  positiveWeight: 'balanced',
  fit: { maxEpochs: 60, batchSize: 128, learningRate: 1e-3, l2: 1e-4, patience: 8 },
};

export interface FittedIntentModel {
  network: tfjs.LayersModel;
  architecture: IntentArchitecture;
  standardization: Standardization;
  calibration: PlattCalibration;
  encoding: PiecewiseLinearEncoding;
  forward: IntentForward;
  members: MemberFitReport[];
  rows: { fit: number; validation: number; validationPositives: number };
}

/** A labelled feature matrix with its column names and each row's time key (larger = later). */
export interface IntentDataset {
  x: Matrix;
  labels: Uint8Array;
  features: string[];
  timeKey: ArrayLike<number>;
}

export async function fitIntentModel(
  { x, labels, features, timeKey }: IntentDataset,
  trainingRows: ArrayLike<number>,
  recipe: IntentRecipe,
  seed: number,
  onEpochs: (n: number) => void = () => undefined,
): Promise<FittedIntentModel> {
  const { earlier, later } = splitByTime(trainingRows, timeKey, recipe.validationFraction);
  const fitY = pick(labels, earlier);
  const valY = pick(labels, later);
  const counts = requireBothClasses(fitY, 'the intent model (fitting rows)');
  requireBothClasses(valY, 'calibration (the time-later validation slice)');

  const encodeColumns = recipe.piecewiseLinear.features.map((name) => {
    const column = features.indexOf(name);
    if (column < 0) throw new RangeError(`the recipe encodes '${name}', which is not a feature`);
    return column;
  });
  const encoding = fitPiecewiseLinear(selectRows(x, trainingRows), encodeColumns, recipe.piecewiseLinear.bins);
  const encoded = encodeMatrix(x, encoding);
  const standardization = fitStandardization(selectRows(encoded, trainingRows));
  const fitX = standardizeMatrix(selectRows(encoded, earlier), standardization);
  const valX = standardizeMatrix(selectRows(encoded, later), standardization);

  const architecture: IntentArchitecture = {
    kind: 'wide-and-deep-ensemble',
    inputs: encoded.cols,
    hidden: recipe.hidden,
    activation: recipe.activation,
    wide: recipe.wide,
    members: recipe.members,
  };
  const { tf } = await tfBackend();
  const positiveWeight = recipe.positiveWeight === 'balanced' ? counts.negatives / counts.positives : recipe.positiveWeight;
  const options = { ...recipe.fit, positiveWeight, seed };
  let net = buildIntentNetwork(tf, architecture, seed);
  const members = await fitIntentNetwork(net, { x: fitX, y: fitY }, { x: valX, y: valY }, options, onEpochs);

  // Calibrate the ensemble's logits on the later rows, through the same forward pass that serves.
  const uncalibrated = forwardOf(net.ensemble, { architecture, standardization, encoding, calibration: IDENTITY_CALIBRATION });
  const calibration = fitPlatt(uncalibrated.logitMatrix(selectRows(x, later)), valY);

  if (recipe.refit) {
    net.ensemble.dispose();
    net = buildIntentNetwork(tf, architecture, seed);
    const allX = standardizeMatrix(selectRows(encoded, trainingRows), standardization);
    await fitIntentNetwork(net, { x: allX, y: pick(labels, trainingRows) }, { epochs: members.map((m) => m.bestEpoch + 1) }, options, onEpochs);
  }
  return {
    network: net.ensemble,
    architecture,
    standardization,
    calibration,
    encoding,
    forward: forwardOf(net.ensemble, { architecture, standardization, encoding, calibration }),
    members,
    rows: { fit: earlier.length, validation: later.length, validationPositives: countOnes(valY) },
  };
}

function countOnes(values: Uint8Array): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}
