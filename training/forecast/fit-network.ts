/**
 * Trains the forecast ensemble in two passes, because the most recent periods are both the best
 * validation data and the most valuable training data:
 * 1. a probe ensemble of the same shape learns on the older rows, its members epoch by epoch in step,
 *    stopping early on the ensemble's loss on the validation rows (the latest origins whose targets still
 *    lie before the holdout; one member's loss is too noisy to stop on when there are only a few hundred
 *    series); its best epoch count is kept;
 * 2. a fresh ensemble is trained on all rows, recent ones included, for that many epochs;
 * 3. the interval is calibrated: the p10 and p90 gaps are stretched (or shrunk) so that about 10% of new
 *    actuals fall below p10 and 10% above p90, transferred from the probe's validation rows to the final
 *    ensemble (interval-calibration.ts). Pinball-trained quantiles come out too narrow on unseen periods;
 *    without this, coverage on weekly data ranged 62–70%.
 * Adam on the weighted pinball loss, mini-batches in a seeded order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { Rng } from '../../datasets/random.ts';
import { NO_CALIBRATION, type ForecastArchitecture, type IntervalCalibration } from '../../models/forecast/architecture.ts';
import { buildForecastNetwork, forwardOf, pinballLoss, type ForecastNetwork } from '../../models/forecast/tf-model.ts';
import { calibrateOn, neededStretches, transferCalibration, type NeededStretches } from './interval-calibration.ts';
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
  /** called after every epoch of the whole ensemble (progress); phase 1 is the probe */
  onEpoch?: (phase: 1 | 2, epoch: number, validationLoss: number) => void;
}

export interface FittedNetwork {
  network: ForecastNetwork;
  architecture: ForecastArchitecture;
  calibration: IntervalCalibration;
  /** the probe's own calibration on its validation rows (for the record beside the transferred one) */
  probeCalibration: IntervalCalibration;
  /** epochs every member was trained for (the probe ensemble's best) */
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
  let probeStretches: { validation: NeededStretches; training: NeededStretches } | undefined;
  if (probe.validation.rows > 0 && probe.train.rows > 0) {
    const probeNetwork = buildForecastNetwork(tf, architecture, options.seed + 7919);
    const validation = tensorsOf(tf, probe.validation);
    const trainers = probeNetwork.members.map((model, k) => new MemberTrainer(tf, model, probe.train, options, 1, k));
    let bestWeights: tfjs.Tensor[] | undefined;
    try {
      let bestEpoch = 0;
      for (let epoch = 1; epoch <= options.maxEpochs && epoch - bestEpoch <= options.patience; epoch++) {
        for (const trainer of trainers) trainer.runEpoch(epoch);
        const loss = lossOn(tf, probeNetwork.ensemble, validation);
        options.onEpoch?.(1, epoch, loss);
        if (!(loss >= validationLoss)) {
          validationLoss = loss;
          bestEpoch = epoch;
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = probeNetwork.ensemble.getWeights().map((w) => w.clone());
        }
        await new Promise((resolve) => setImmediate(resolve)); // let a progress bar repaint
      }
      if (bestWeights) probeNetwork.ensemble.setWeights(bestWeights);
      epochs = Math.max(1, bestEpoch);
      const forward = forwardOf(probeNetwork.ensemble, architecture);
      probeStretches = { validation: neededStretches(forward, probe.validation), training: neededStretches(forward, probe.train) };
    } finally {
      if (bestWeights) tf.dispose(bestWeights);
      for (const trainer of trainers) trainer.dispose();
      tf.dispose(Object.values(validation));
      probeNetwork.ensemble.dispose();
    }
  }
  const network = buildForecastNetwork(tf, architecture, options.seed);
  const trainers = network.members.map((model, k) => new MemberTrainer(tf, model, full, options, 2, k));
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (const trainer of trainers) trainer.runEpoch(epoch);
      options.onEpoch?.(2, epoch, Number.NaN);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    for (const trainer of trainers) trainer.dispose();
  }
  let probeCalibration = NO_CALIBRATION;
  if (probeStretches) {
    const finalTraining = neededStretches(forwardOf(network.ensemble, architecture), full);
    calibration = transferCalibration(probeStretches.validation, probeStretches.training, finalTraining);
    probeCalibration = calibrateOn(probeStretches.validation);
  }
  return { network, architecture, calibration, probeCalibration, epochs, validationLoss };
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

/** One member's optimizer and batch buffers: `runEpoch` is one pass over the rows in a seeded order. */
class MemberTrainer {
  private readonly optimizer: tfjs.Optimizer;
  private readonly order: Uint32Array;
  private readonly batch: number;
  private readonly features: number;
  private readonly horizon: number;
  private readonly xb: Float32Array;
  private readonly yb: Float32Array;
  private readonly wb: Float32Array;

  constructor(
    private readonly tf: Tf,
    private readonly model: tfjs.LayersModel,
    private readonly rows: SampleBlock,
    private readonly options: FitOptions,
    private readonly phase: 1 | 2,
    private readonly member: number,
  ) {
    this.optimizer = tf.train.adam(options.learningRate);
    this.order = Uint32Array.from({ length: rows.rows }, (_, i) => i);
    this.batch = batchSizeFor(rows.rows, options.batchSize);
    this.features = rows.x.length / rows.rows;
    this.horizon = rows.y.length / rows.rows;
    this.xb = new Float32Array(this.batch * this.features);
    this.yb = new Float32Array(this.batch * this.horizon);
    this.wb = new Float32Array(this.batch);
  }

  runEpoch(epoch: number): void {
    const { tf, rows, batch, features, horizon, xb, yb, wb, order } = this;
    shuffle(order, new Rng(this.options.seed, this.phase, this.member, epoch));
    for (let start = 0; start + batch <= rows.rows; start += batch) {
      for (let i = 0; i < batch; i++) {
        const r = order[start + i] as number;
        xb.set(rows.x.subarray(r * features, (r + 1) * features), i * features);
        yb.set(rows.y.subarray(r * horizon, (r + 1) * horizon), i * horizon);
        wb[i] = rows.w[r] as number;
      }
      tf.tidy(() => {
        const x = tf.tensor2d(xb, [batch, features]);
        const y = tf.tensor2d(yb, [batch, horizon]);
        const w = tf.tensor1d(wb);
        this.optimizer.minimize(() => pinballLoss(tf, this.model.apply(x, { training: true }) as tfjs.Tensor, y, w));
      });
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/**
 * At most `largest`, but small enough for ~100 steps per epoch: with a few hundred series of weekly data
 * (say 18k rows) batches of 512 give 36 steps an epoch, and early stopping then ends training after a
 * handful of updates, before the network has learned anything.
 */
export function batchSizeFor(rows: number, largest: number): number {
  return Math.max(1, Math.min(rows, largest, Math.max(32, Math.floor(rows / 100))));
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
