/**
 * The intent model's forward pass in plain TypeScript over Float32Arrays: standardize → each member's
 * wide + deep logit → mean → Platt calibration. This is the only inference path: serving scores with it and
 * training evaluates with it, so the metrics in a model card are the metrics of what serves.
 *
 * No TF.js here: a `predict` call costs ~150 µs of dispatch even for a tiny net, while these loops over a
 * few thousand weights take a few µs. A parity test holds this equal to `model.predict` within 1e-5.
 */
import { calibrate, type PlattCalibration } from '../calibration.ts';
import type { Matrix } from '../matrix.ts';
import { standardizeRow, type Standardization } from '../standardize.ts';
import { memberLayerNames, validateArchitecture, type Activation, type IntentArchitecture } from './architecture.ts';

/** Weight arrays by name (`m0_deep0/kernel`), kernels row-major [inputs × units] as TF.js stores them. */
export type NamedWeights = ReadonlyMap<string, Float32Array>;

interface Dense {
  inputs: number;
  units: number;
  kernel: Float32Array;
  bias: Float32Array | undefined;
  activation: Activation;
}

interface Member {
  hidden: Dense[];
  out: Dense;
  wide: Dense | undefined;
}

export interface IntentForwardParts {
  architecture: IntentArchitecture;
  weights: NamedWeights;
  standardization: Standardization;
  calibration: PlattCalibration;
}

export class IntentForward {
  readonly inputs: number;
  readonly calibration: PlattCalibration;
  readonly standardization: Standardization;
  private readonly members: Member[];
  // Scratch buffers, allocated once: scoring a row allocates nothing. (Not re-entrant; JS is single-threaded.)
  private readonly x: Float64Array;
  private readonly acts: Float64Array[];
  private readonly grads: Float64Array[];

  constructor(parts: IntentForwardParts) {
    const { architecture: arch, weights, standardization, calibration } = parts;
    validateArchitecture(arch);
    if (standardization.mean.length !== arch.inputs || standardization.std.length !== arch.inputs) {
      throw new RangeError(`standardization has ${standardization.mean.length} features, the network ${arch.inputs}`);
    }
    this.inputs = arch.inputs;
    this.calibration = calibration;
    this.standardization = standardization;
    const take = (name: string, size: number): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new RangeError(`weight '${name}' is missing`);
      if (w.length !== size) throw new RangeError(`weight '${name}' holds ${w.length} values, expected ${size}`);
      return w;
    };
    const dense = (name: string, inputs: number, units: number, activation: Activation, bias = true): Dense => ({
      inputs,
      units,
      kernel: take(`${name}/kernel`, inputs * units),
      bias: bias ? take(`${name}/bias`, units) : undefined,
      activation,
    });
    this.members = Array.from({ length: arch.members }, (_, k) => {
      const names = memberLayerNames(arch, k);
      let width = arch.inputs;
      const hidden = names.hidden.map((name, j) => {
        const layer = dense(name, width, arch.hidden[j]!, arch.activation);
        width = layer.units;
        return layer;
      });
      return {
        hidden,
        out: dense(names.deepOut, width, 1, 'linear'),
        wide: names.wide ? dense(names.wide, arch.inputs, 1, 'linear', false) : undefined,
      };
    });
    this.x = new Float64Array(arch.inputs);
    this.acts = arch.hidden.map((h) => new Float64Array(h));
    this.grads = arch.hidden.map((h) => new Float64Array(h));
  }

  /** The uncalibrated ensemble logit of one row of raw (unstandardized) features. */
  logit(raw: ArrayLike<number>): number {
    this.checkWidth(raw);
    standardizeRow(raw, this.standardization, this.x);
    let sum = 0;
    for (const member of this.members) sum += this.memberLogit(member);
    return sum / this.members.length;
  }

  /** The calibrated purchase probability of one row of raw features. */
  score(raw: ArrayLike<number>): number {
    return calibrate(this.logit(raw), this.calibration);
  }

  /** Calibrated probabilities for every row of a matrix of raw features. */
  scoreMatrix(m: Matrix): Float32Array {
    if (m.cols !== this.inputs) throw new RangeError(`matrix has ${m.cols} columns, the model ${this.inputs}`);
    const out = new Float32Array(m.rows);
    for (let r = 0; r < m.rows; r++) out[r] = this.score(m.data.subarray(r * m.cols, (r + 1) * m.cols));
    return out;
  }

  /** Uncalibrated logits for every row (what calibration is fitted on). */
  logitMatrix(m: Matrix): Float64Array {
    if (m.cols !== this.inputs) throw new RangeError(`matrix has ${m.cols} columns, the model ${this.inputs}`);
    const out = new Float64Array(m.rows);
    for (let r = 0; r < m.rows; r++) out[r] = this.logit(m.data.subarray(r * m.cols, (r + 1) * m.cols));
    return out;
  }

  /**
   * Each feature's share of the logit at this row: gradient × standardized input, i.e. how far the logit
   * moves from the training-mean visitor because of this feature (exact for the wide term, first-order for
   * the deep one). Serving names the largest as the score's reasons.
   */
  contributions(raw: ArrayLike<number>): Float64Array {
    this.checkWidth(raw);
    standardizeRow(raw, this.standardization, this.x);
    const total = new Float64Array(this.inputs);
    for (const member of this.members) this.addMemberGradient(member, total);
    for (let c = 0; c < this.inputs; c++) total[c] = (total[c]! * this.x[c]!) / this.members.length;
    return total;
  }

  private checkWidth(raw: ArrayLike<number>): void {
    if (raw.length !== this.inputs) throw new RangeError(`row has ${raw.length} features, the model ${this.inputs}`);
  }

  private memberLogit(member: Member): number {
    let input: Float64Array = this.x;
    member.hidden.forEach((layer, j) => {
      apply(layer, input, this.acts[j]!);
      input = this.acts[j]!;
    });
    let z = dot1(member.out, input);
    if (member.wide) z += dot1(member.wide, this.x);
    return z;
  }

  /** Adds d(member logit)/d(standardized input) to `into`. Runs the member forward to fill the activations. */
  private addMemberGradient(member: Member, into: Float64Array): void {
    this.memberLogit(member);
    const depth = member.hidden.length;
    if (member.wide) for (let c = 0; c < this.inputs; c++) into[c]! += member.wide.kernel[c]!;
    // Gradient w.r.t. the last hidden activations is the output kernel; walk back through each layer.
    let upstream: Float64Array | undefined;
    if (depth === 0) {
      for (let c = 0; c < this.inputs; c++) into[c]! += member.out.kernel[c]!;
      return;
    }
    upstream = this.grads[depth - 1]!;
    for (let u = 0; u < upstream.length; u++) upstream[u] = member.out.kernel[u]!;
    for (let j = depth - 1; j >= 0; j--) {
      const layer = member.hidden[j]!;
      const act = this.acts[j]!;
      // Through the activation: scale by its derivative, written in terms of the activation's output.
      for (let u = 0; u < layer.units; u++) upstream[u]! *= activationSlope(layer.activation, act[u]!);
      const below = j === 0 ? into : this.grads[j - 1]!;
      if (j > 0) below.fill(0);
      for (let i = 0; i < layer.inputs; i++) {
        let g = 0;
        const rowStart = i * layer.units;
        for (let u = 0; u < layer.units; u++) g += layer.kernel[rowStart + u]! * upstream[u]!;
        below[i]! += g;
      }
      upstream = below;
    }
  }
}

/** out = activation(input · kernel + bias). Input-major loop: the kernel is read in storage order. */
function apply(layer: Dense, input: Float64Array, out: Float64Array): void {
  const { inputs, units, kernel, bias } = layer;
  if (bias) for (let u = 0; u < units; u++) out[u] = bias[u]!;
  else out.fill(0);
  for (let i = 0; i < inputs; i++) {
    const xi = input[i]!;
    if (xi === 0) continue;
    const rowStart = i * units;
    for (let u = 0; u < units; u++) out[u]! += xi * kernel[rowStart + u]!;
  }
  switch (layer.activation) {
    case 'relu':
      for (let u = 0; u < units; u++) if (out[u]! < 0) out[u] = 0;
      break;
    case 'elu':
      for (let u = 0; u < units; u++) if (out[u]! < 0) out[u] = Math.expm1(out[u]!);
      break;
    case 'tanh':
      for (let u = 0; u < units; u++) out[u] = Math.tanh(out[u]!);
      break;
    case 'linear':
      break;
  }
}

/** A single-unit dense layer's pre-activation: input · kernel (+ bias). */
function dot1(layer: Dense, input: Float64Array): number {
  let z = layer.bias ? layer.bias[0]! : 0;
  for (let i = 0; i < layer.inputs; i++) z += input[i]! * layer.kernel[i]!;
  return z;
}

/** d activation / d pre-activation, from the activation's output y. */
function activationSlope(activation: Activation, y: number): number {
  switch (activation) {
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'elu':
      return y > 0 ? 1 : y + 1;
    case 'tanh':
      return 1 - y * y;
    case 'linear':
      return 1;
  }
}
