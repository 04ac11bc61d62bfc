/**
 * Trains the forecast ensemble in two passes, because the most recent periods are both the best
 * validation data and the most valuable training data:
 * 1. a probe ensemble of the same shape learns on the older rows, each member stopping early on the
 *    validation rows (the latest origins whose targets still lie before the holdout); the mean of their
 *    best epoch counts is kept, and the interval is calibrated on those validation rows: the p10 and p90
 *    gaps are stretched (or shrunk) so that 10% of validation actuals fall below p10 and 10% above p90.
 *    An MLP's quantiles are off on unseen periods; a held-out correction is cheap and keeps coverage
 *    honest. The probe has as many members as the final ensemble because averaging members sharpens the
 *    median: a single member's calibration would make the ensemble's interval too wide;
 * 2. a fresh ensemble is trained on all rows, recent ones included, for that many epochs, and the
 *    probe's calibration applies to it.
 * Adam on the weighted pinball loss, mini-batches in a seeded order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { Rng } from '../../datasets/random.ts';
import { NO_CALIBRATION, OUTPUTS_PER_STEP, softplus, type ForecastArchitecture, type IntervalCalibration } from '../../models/forecast/architecture.ts';
import { buildForecastNetwork, forwardOf, pinballLoss, type ForecastNetwork } from '../../models/forecast/tf-model.ts';
import type { SampleBlock, Samples } from './samples.ts';

type Tf = typeof tfjs;

export interface FitOptions {
  hidden: number[];
  members: number;
  /** most epochs the probe may run */
  maxEpochs: number;
  /** stop the probe after this many epochs without a better validation loss */
  patience: number;
  /** epochs when there is no validation data to choose them */
  defaultEpochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** called after every epoch (progress); phase 1 is the probe */
  onEpoch?: (phase: 1 | 2, member: number, epoch: number, validationLoss: number) => void;
}

export interface FittedNetwork {
  network: ForecastNetwork;
  architecture: ForecastArchitecture;
  calibration: IntervalCalibration;
  /** epochs every member was trained for (the mean of the probe members' best) */
  epochs: number;
  /** the probe ensemble's validation loss (NaN without validation) */
  validationLoss: number;
}

/**
 * `probe` holds the older training rows and the validation rows; `full` every row up to the holdout.
 * Without validation rows the probe is skipped and members train for `defaultEpochs` uncalibrated.
 */
export async function fitForecastNetwork(tf: Tf, probe: Samples, full: SampleBlock, horizon: number, options: FitOptions): Promise<FittedNetwork> {
  const inputs = full.x.length / Math.max(1, full.rows);
  const architecture: ForecastArchitecture = { kind: 'quantile-mlp-ensemble', inputs, horizon, hidden: options.hidden, members: options.members };
  let epochs = options.defaultEpochs;
  let calibration = NO_CALIBRATION;
  let validationLoss = Number.NaN;
  if (probe.validation.rows > 0 && probe.train.rows > 0) {
    const probeNetwork = buildForecastNetwork(tf, architecture, options.seed + 7919);
    const validation = tensorsOf(tf, probe.validation);
    try {
      const best: number[] = [];
      for (let k = 0; k < options.members; k++) {
        best.push((await trainMember(tf, probeNetwork.members[k] as tfjs.LayersModel, probe.train, validation, options.maxEpochs, k, options, 1)).epoch);
      }
      epochs = Math.max(1, Math.round(best.reduce((a, b) => a + b, 0) / best.length));
      validationLoss = lossOn(tf, probeNetwork.ensemble, validation);
      calibration = calibrateInterval(probeNetwork, architecture, probe.validation);
    } finally {
      tf.dispose(Object.values(validation));
      probeNetwork.ensemble.dispose();
    }
  }
  const network = buildForecastNetwork(tf, architecture, options.seed);
  for (let k = 0; k < options.members; k++) await trainMember(tf, network.members[k] as tfjs.LayersModel, full, undefined, epochs, k, options, 2);
  return { network, architecture, calibration, epochs, validationLoss };
}

interface BlockTensors {
  x: tfjs.Tensor2D;
  y: tfjs.Tensor2D;
  w: tfjs.Tensor1D;
}

function tensorsOf(tf: Tf, b: SampleBlock): BlockTensors {
  return { x: tf.tensor2d(b.x, [b.rows, b.x.length / b.rows]), y: tf.tensor2d(b.y, [b.rows, b.y.length / b.rows]), w: tf.tensor1d(b.w) };
}

function lossOn(tf: Tf, model: tfjs.LayersModel, t: BlockTensors): number {
  return tf.tidy(() => pinballLoss(tf, model.predict(t.x, { batchSize: 4096 }) as tfjs.Tensor, t.y, t.w).dataSync()[0] as number);
}

/**
 * Trains one member for up to `epochs`. With validation tensors it stops early (patience) and restores
 * the best epoch's weights; returns that epoch and its validation loss.
 */
async function trainMember(
  tf: Tf,
  model: tfjs.LayersModel,
  train: SampleBlock,
  validation: BlockTensors | undefined,
  epochs: number,
  member: number,
  options: FitOptions,
  phase: 1 | 2,
): Promise<{ epoch: number; loss: number }> {
  const features = train.x.length / train.rows;
  const horizon = train.y.length / train.rows;
  const optimizer = tf.train.adam(options.learningRate);
  const order = Uint32Array.from({ length: train.rows }, (_, i) => i);
  const batch = Math.min(options.batchSize, train.rows);
  const xb = new Float32Array(batch * features);
  const yb = new Float32Array(batch * horizon);
  const wb = new Float32Array(batch);
  let best = { epoch: epochs, loss: Number.NaN };
  let bestWeights: tfjs.Tensor[] | undefined;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffle(order, new Rng(options.seed, phase, member, epoch));
      for (let start = 0; start + batch <= train.rows; start += batch) {
        for (let i = 0; i < batch; i++) {
          const r = order[start + i] as number;
          xb.set(train.x.subarray(r * features, (r + 1) * features), i * features);
          yb.set(train.y.subarray(r * horizon, (r + 1) * horizon), i * horizon);
          wb[i] = train.w[r] as number;
        }
        tf.tidy(() => {
          const x = tf.tensor2d(xb, [batch, features]);
          const y = tf.tensor2d(yb, [batch, horizon]);
          const w = tf.tensor1d(wb);
          optimizer.minimize(() => pinballLoss(tf, model.apply(x, { training: true }) as tfjs.Tensor, y, w));
        });
      }
      const loss = validation === undefined ? Number.NaN : lossOn(tf, model, validation);
      options.onEpoch?.(phase, member, epoch, loss);
      await new Promise((resolve) => setImmediate(resolve)); // let a progress bar repaint
      if (validation === undefined) continue;
      if (!(loss >= best.loss)) {
        best = { epoch, loss };
        if (bestWeights) tf.dispose(bestWeights);
        bestWeights = model.getWeights().map((w) => w.clone());
      } else if (epoch - best.epoch >= options.patience) {
        break;
      }
    }
    if (bestWeights) model.setWeights(bestWeights);
  } finally {
    if (bestWeights) tf.dispose(bestWeights);
    optimizer.dispose();
  }
  return best;
}

/** Fisher–Yates with the seeded generator: the same seed gives the same batches. */
function shuffle(order: Uint32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}

/**
 * Gap multipliers so that, on the validation rows, 10% of actuals fall below p10 and 10% above p90: for
 * each point, the stretch that would just reach its actual; the 90th percentile of those stretches.
 * Computed with the serving forward pass, so it calibrates what serves.
 */
function calibrateInterval(network: ForecastNetwork, architecture: ForecastArchitecture, validation: SampleBlock): IntervalCalibration {
  const forward = forwardOf(network.ensemble, architecture);
  const H = architecture.horizon;
  const features = architecture.inputs;
  const raw = new Float64Array(forward.outputs);
  const below: number[] = [];
  const above: number[] = [];
  for (let r = 0; r < validation.rows; r++) {
    forward.raw(validation.x.subarray(r * features, (r + 1) * features), raw);
    // Rows are in scaled units already; the gaps as decodeQuantiles forms them, before clipping at zero.
    for (let h = 0; h < H; h++) {
      const actual = validation.y[r * H + h] as number;
      const mid = raw[h * OUTPUTS_PER_STEP] as number;
      const lowGap = softplus(raw[h * OUTPUTS_PER_STEP + 1] as number);
      const highGap = softplus(raw[h * OUTPUTS_PER_STEP + 2] as number);
      below.push(actual < mid && lowGap > 0 ? (mid - actual) / lowGap : 0);
      above.push(actual > mid && highGap > 0 ? (actual - mid) / highGap : 0);
    }
  }
  const stretch = (values: number[]) => {
    values.sort((a, b) => a - b);
    const v = values[Math.min(values.length - 1, Math.floor(0.9 * values.length))] ?? 1;
    return Math.min(5, Math.max(0.2, v));
  };
  return { low: stretch(below), high: stretch(above) };
}
