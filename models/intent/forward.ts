/**
 * The intent model's forward pass in plain TypeScript: piecewise-linear encoding → standardize → each
 * member's wide + deep logit → mean → Platt calibration. This is the only inference path: serving scores
 * with it and training evaluates with it, so the metrics in a model card are the metrics of what serves.
 *
 * No TF.js here: a `predict` call costs ~150 µs of dispatch even for a tiny net. Two layout choices make
 * these loops a few µs:
 * - the entry layer: every member's first dense layer and wide term read the same input, so their kernels
 *   are fused into one matrix, with standardization folded in (W/σ, b − Σ μ/σ·W). The input is then the
 *   encoded row itself, which is mostly zeros (one-hot levels, bins not reached), and zero inputs are skipped;
 * - later layers keep kernels transposed ([units × inputs]) so each unit is one dot product in a register.
 * - bin columns are never materialized: a binned feature adds the prefix sum of its full bins' kernel rows
 *   and one fractional row; each feature's share of the entry is kept, so its contribution (reasons) is one
 *   dot product with the entry gradient, not one per network input.
 * Everything is float64 from the float32 weights; a parity test holds this equal to `model.predict` within 1e-5.
 */
import { calibrate, type PlattCalibration } from '../calibration.ts';
import type { Matrix } from '../matrix.ts';
import { NO_ENCODING, encodedExtra, encodedSources, type PiecewiseLinearEncoding } from '../piecewise-linear.ts';
import type { Standardization } from '../standardize.ts';
import { memberLayerNames, validateArchitecture, type Activation, type IntentArchitecture } from './architecture.ts';

/** Weight arrays by name (`m0_deep0/kernel`), kernels row-major [inputs × units] as TF.js stores them. */
export type NamedWeights = ReadonlyMap<string, Float32Array>;

/** A dense layer after the entry layer, kernel transposed to [units × inputs]. */
interface Dense {
  inputs: number;
  units: number;
  kernelT: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

interface Member {
  /** Where this member's first layer (first hidden layer, or the output when there is none) sits in the entry. */
  firstOffset: number;
  firstUnits: number;
  /** Activation of the first layer ('linear' when it is the output). */
  firstActivation: Activation;
  /** Entry column of the wide term, or -1. */
  wideOffset: number;
  /** Hidden layers after the first, then the output layer. */
  rest: Dense[];
}

export interface IntentForwardParts {
  architecture: IntentArchitecture;
  weights: NamedWeights;
  standardization: Standardization;
  calibration: PlattCalibration;
  /** Appended bin columns; the network's inputs are the raw features plus these. */
  encoding?: PiecewiseLinearEncoding;
}

export class IntentForward {
  /** Width of a raw feature row (before encoding). */
  readonly inputs: number;
  readonly calibration: PlattCalibration;
  readonly encoding: PiecewiseLinearEncoding;
  private readonly mean: Float64Array;
  private readonly members: Member[];
  /** Fused entry kernel [width × entryWidth] with standardization folded in, and its bias. */
  private readonly entryKernel: Float64Array;
  private readonly entryBias: Float64Array;
  private readonly entryWidth: number;
  /** Bin groups of the piecewise-linear encoding, with prefix sums of their kernel rows. */
  private readonly groups: BinGroup[];
  /** Per raw feature: the group whose base/slope rows cover its raw term and bins, or -1. */
  private readonly fusedGroup: Int32Array;
  /** Per raw feature f: Σ over its network inputs c of kernel row c · mean[c] ([inputs × entryWidth]). */
  private readonly meanShare: Float64Array;
  // Scratch buffers, allocated once: scoring a row allocates nothing. (Not re-entrant; JS is single-threaded.)
  /** Per raw feature f: its share of the entry pre-activation, Σ over its inputs c of kernel row c · x[c]. */
  private readonly partials: Float64Array;
  private readonly touched: Uint8Array;
  /** Per raw feature: covered by its fused rows in this row (the bin loop skips it). */
  private readonly done: Uint8Array;
  private readonly entry: Float64Array;
  private readonly acts: Float64Array[];
  private readonly grads: Float64Array[];
  private readonly entryGrad: Float64Array;

  constructor(parts: IntentForwardParts) {
    const { architecture: arch, weights, standardization, calibration, encoding = NO_ENCODING } = parts;
    validateArchitecture(arch);
    const width = arch.inputs;
    if (standardization.mean.length !== width || standardization.std.length !== width) {
      throw new RangeError(`standardization has ${standardization.mean.length} features, the network ${width}`);
    }
    this.inputs = width - encodedExtra(encoding);
    if (this.inputs < 1 || encoding.columns.some((c) => c.column >= this.inputs)) throw new RangeError('the encoding does not fit the network inputs');
    this.calibration = calibration;
    this.encoding = encoding;
    this.mean = Float64Array.from(standardization.mean);
    const std = Float64Array.from(standardization.std);

    const take = (name: string, size: number): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new RangeError(`weight '${name}' is missing`);
      if (w.length !== size) throw new RangeError(`weight '${name}' holds ${w.length} values, expected ${size}`);
      return w;
    };

    // Entry layer: gather each member's first layer and wide kernel, then fuse and fold.
    const blocks: Array<{ kernel: Float32Array; bias: Float32Array | undefined; units: number }> = [];
    let entryWidth = 0;
    this.members = Array.from({ length: arch.members }, (_, k) => {
      const names = memberLayerNames(arch, k);
      const sizes = [...arch.hidden, 1];
      const layerNames = [...names.hidden, names.deepOut];
      const firstUnits = sizes[0]!;
      blocks.push({ kernel: take(`${layerNames[0]}/kernel`, width * firstUnits), bias: take(`${layerNames[0]}/bias`, firstUnits), units: firstUnits });
      const firstOffset = entryWidth;
      entryWidth += firstUnits;
      let wideOffset = -1;
      if (names.wide) {
        blocks.push({ kernel: take(`${names.wide}/kernel`, width), bias: undefined, units: 1 });
        wideOffset = entryWidth++;
      }
      const rest: Dense[] = [];
      for (let j = 1; j < layerNames.length; j++) {
        const inputs = sizes[j - 1]!;
        const units = sizes[j]!;
        const kernel = take(`${layerNames[j]}/kernel`, inputs * units);
        const kernelT = new Float64Array(inputs * units);
        for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) kernelT[u * inputs + i] = kernel[i * units + u]!;
        rest.push({ inputs, units, kernelT, bias: Float64Array.from(take(`${layerNames[j]}/bias`, units)), activation: j === layerNames.length - 1 ? 'linear' : arch.activation });
      }
      return { firstOffset, firstUnits, firstActivation: arch.hidden.length > 0 ? arch.activation : 'linear', wideOffset, rest };
    });

    this.entryWidth = entryWidth;
    this.entryKernel = new Float64Array(width * entryWidth);
    this.entryBias = new Float64Array(entryWidth);
    let offset = 0;
    for (const block of blocks) {
      for (let u = 0; u < block.units; u++) {
        let bias = block.bias ? block.bias[u]! : 0;
        for (let i = 0; i < width; i++) {
          // (x − μ)/σ · w = x · (w/σ) − μ/σ · w
          const w = block.kernel[i * block.units + u]! / std[i]!;
          this.entryKernel[i * entryWidth + offset + u] = w;
          bias -= this.mean[i]! * w;
        }
        this.entryBias[offset + u] = bias;
      }
      offset += block.units;
    }

    // Bin columns: the encoded value of bin b is 1 below the value, a fraction in its bin, 0 above, so the
    // bins' share of the entry is (sum of the kernel rows of the full bins) + fraction · (row of the bin
    // holding the value): prefix sums make that two row operations per feature instead of one per bin.
    this.groups = [];
    let col = this.inputs;
    for (const { column, edges } of encoding.columns) {
      const bins = Math.max(0, edges.length - 1);
      const prefix = new Float64Array((bins + 1) * entryWidth);
      for (let b = 0; b < bins; b++) {
        for (let j = 0; j < entryWidth; j++) prefix[(b + 1) * entryWidth + j] = prefix[b * entryWidth + j]! + this.entryKernel[(col + b) * entryWidth + j]!;
      }
      this.groups.push({ column, firstInput: col, lo: Float64Array.from(edges.slice(0, -1)), hi: Float64Array.from(edges.slice(1)), prefix, base: undefined, slope: undefined });
      col += bins;
    }
    // A feature binned once whose value lies in bin k: its raw term x·K_raw is linear in the same fraction,
    // x = lo_k + frac·(hi_k − lo_k), so raw + bins = (prefix_k + lo_k·K_raw) + frac·(K_bin k + (hi_k − lo_k)·K_raw):
    // one base row and one slope row per bin, precomputed.
    this.fusedGroup = new Int32Array(this.inputs).fill(-1);
    this.groups.forEach((g, index) => {
      if (g.hi.length === 0 || this.groups.some((o) => o !== g && o.column === g.column)) return;
      const bins = g.hi.length;
      const rawRow = g.column * entryWidth;
      g.base = new Float64Array(bins * entryWidth);
      g.slope = new Float64Array(bins * entryWidth);
      for (let k = 0; k < bins; k++) {
        const width = g.hi[k]! - g.lo[k]!;
        for (let j = 0; j < entryWidth; j++) {
          const kRaw = this.entryKernel[rawRow + j]!;
          g.base[k * entryWidth + j] = g.prefix[k * entryWidth + j]! + g.lo[k]! * kRaw;
          g.slope[k * entryWidth + j] = this.entryKernel[(g.firstInput + k) * entryWidth + j]! + width * kRaw;
        }
      }
      this.fusedGroup[g.column] = index;
    });
    const sources = encodedSources(this.inputs, encoding);
    this.meanShare = new Float64Array(this.inputs * entryWidth);
    for (let c = 0; c < width; c++) {
      const m = this.mean[c]!;
      if (m === 0) continue;
      const to = sources[c]! * entryWidth;
      for (let j = 0; j < entryWidth; j++) this.meanShare[to + j]! += this.entryKernel[c * entryWidth + j]! * m;
    }
    this.partials = new Float64Array(this.inputs * entryWidth);
    this.touched = new Uint8Array(this.inputs);
    this.done = new Uint8Array(this.inputs);
    this.entry = new Float64Array(entryWidth);
    this.entryGrad = new Float64Array(entryWidth);
    const depth = Math.max(0, arch.hidden.length);
    this.acts = Array.from({ length: depth }, (_, j) => new Float64Array(arch.hidden[j]!));
    this.grads = Array.from({ length: depth }, (_, j) => new Float64Array(arch.hidden[j]!));
  }

  /** The uncalibrated ensemble logit of one row of raw (unencoded, unstandardized) features. */
  logit(raw: ArrayLike<number>): number {
    this.computeEntry(raw);
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
   * Each raw feature's share of the logit at this row: gradient × (input − training mean), i.e. how far the
   * logit moves from the training-mean visitor because of this feature (exact for the wide term,
   * first-order for the deep one), with a feature's bin columns added to it. Serving names the largest as
   * the score's reasons.
   */
  contributions(raw: ArrayLike<number>): Float64Array {
    const total = new Float64Array(this.inputs);
    this.explain(raw, total);
    return total;
  }

  /**
   * `score(raw)` and `contributions(raw)` (written into `out`, length `inputs`) in one pass: the entry layer
   * and each member's forward run once. Serving runs this; the score equals `score(raw)` exactly.
   */
  explain(raw: ArrayLike<number>, out: Float64Array): number {
    if (out.length !== this.inputs) throw new RangeError(`contributions need ${this.inputs} slots, got ${out.length}`);
    this.computeEntry(raw);
    const dEntry = this.entryGrad;
    dEntry.fill(0);
    let sum = 0;
    for (const member of this.members) sum += this.addMemberEntryGradient(member, dEntry);
    // Feature f's contribution Σ_c g_c·(x_c − μ_c) with g_c = kernel row c · dEntry is dEntry · (its
    // partial − its mean share): one dot product per raw feature.
    const ew = this.entryWidth;
    const n = this.members.length;
    const partials = this.partials;
    const meanShare = this.meanShare;
    for (let f = 0; f < this.inputs; f++) {
      const at = f * ew;
      let g = 0;
      if (this.touched[f]) for (let j = 0; j < ew; j++) g += dEntry[j]! * (partials[at + j]! - meanShare[at + j]!);
      else for (let j = 0; j < ew; j++) g -= dEntry[j]! * meanShare[at + j]!;
      out[f] = g / n;
    }
    return calibrate(sum / n, this.calibration);
  }

  /**
   * Computes the fused entry layer's pre-activations into `this.entry`, keeping each raw feature's share in
   * `this.partials` (for contributions). Input-major: each non-zero input adds its contiguous kernel row
   * (measured faster than gathering per unit); a binned feature adds a prefix row and one fractional row.
   */
  private computeEntry(raw: ArrayLike<number>): void {
    if (raw.length !== this.inputs) throw new RangeError(`row has ${raw.length} features, the model ${this.inputs}`);
    const ew = this.entryWidth;
    const kernel = this.entryKernel;
    const partials = this.partials;
    const touched = this.touched;
    const out = this.entry;
    out.set(this.entryBias);
    const fused = this.fusedGroup;
    const done = this.done;
    // Each share is added to the entry as it is written (one pass over the rows).
    for (let f = 0; f < this.inputs; f++) {
      const x = raw[f]!;
      const gi = fused[f]!;
      if (gi >= 0) {
        const g = this.groups[gi]!;
        const bins = g.hi.length;
        // The top edge is included (fraction 1 of the last bin): serving clamps inputs to it, and the
        // general path would take two rows (raw and full bins) for what base + slope gives in one.
        if (x >= g.lo[0]! && x <= g.hi[bins - 1]!) {
          done[f] = 1;
          let k = 0;
          while (k < bins - 1 && x >= g.hi[k]!) k++;
          const frac = (x - g.lo[k]!) / (g.hi[k]! - g.lo[k]!);
          if (k === 0 && frac === 0 && g.lo[0] === 0) {
            touched[f] = 0;
            continue;
          }
          touched[f] = 1;
          const at = f * ew;
          const base = g.base!;
          const slope = g.slope!;
          const from = k * ew;
          for (let j = 0; j < ew; j++) {
            const p = base[from + j]! + frac * slope[from + j]!;
            partials[at + j] = p;
            out[j]! += p;
          }
          continue;
        }
      }
      done[f] = 0;
      if (x === 0) {
        touched[f] = 0;
        continue;
      }
      touched[f] = 1;
      const at = f * ew;
      for (let j = 0; j < ew; j++) {
        const p = x * kernel[at + j]!;
        partials[at + j] = p;
        out[j]! += p;
      }
    }
    for (const g of this.groups) {
      if (done[g.column]) continue;
      const v = raw[g.column]!;
      const bins = g.hi.length;
      let k = 0;
      while (k < bins && v >= g.hi[k]!) k++;
      const at = g.column * ew;
      if (k > 0) {
        if (!touched[g.column]) partials.fill(0, at, at + ew);
        touched[g.column] = 1;
        const prefix = g.prefix;
        const from = k * ew;
        for (let j = 0; j < ew; j++) {
          const p = prefix[from + j]!;
          partials[at + j]! += p;
          out[j]! += p;
        }
      }
      if (k < bins && v > g.lo[k]!) {
        if (!touched[g.column]) partials.fill(0, at, at + ew);
        touched[g.column] = 1;
        const frac = (v - g.lo[k]!) / (g.hi[k]! - g.lo[k]!);
        const row = (g.firstInput + k) * ew;
        for (let j = 0; j < ew; j++) {
          const p = frac * kernel[row + j]!;
          partials[at + j]! += p;
          out[j]! += p;
        }
      }
    }
  }

  private memberLogit(member: Member): number {
    const entry = this.entry;
    let z: number;
    if (member.rest.length === 0) {
      z = entry[member.firstOffset]!;
    } else {
      let input = this.acts[0]!;
      for (let u = 0; u < member.firstUnits; u++) input[u] = activate(member.firstActivation, entry[member.firstOffset + u]!);
      const last = member.rest.length - 1;
      for (let j = 0; j < last; j++) {
        const out = this.acts[j + 1]!;
        dense(member.rest[j]!, input, out);
        input = out;
      }
      z = dot(member.rest[last]!, 0, input);
    }
    return member.wideOffset >= 0 ? z + entry[member.wideOffset]! : z;
  }

  /**
   * Adds d(member logit)/d(entry pre-activation) into `into`. Runs the member forward to fill the activations
   * and returns the member's logit.
   */
  private addMemberEntryGradient(member: Member, into: Float64Array): number {
    const z = this.memberLogit(member);
    if (member.wideOffset >= 0) into[member.wideOffset]! += 1;
    if (member.rest.length === 0) {
      into[member.firstOffset]! += 1;
      return z;
    }
    // Start from the output layer: d z / d (last hidden activation) is its kernel.
    const outLayer = member.rest[member.rest.length - 1]!;
    let upstream = this.grads[member.rest.length - 1]!;
    for (let i = 0; i < outLayer.inputs; i++) upstream[i] = outLayer.kernelT[i]!;
    // Back through the hidden layers after the first: scale by the activation slope, then by the kernel.
    for (let j = member.rest.length - 2; j >= 0; j--) {
      const layer = member.rest[j]!;
      const act = this.acts[j + 1]!;
      const below = this.grads[j]!;
      below.fill(0);
      for (let u = 0; u < layer.units; u++) {
        const g = upstream[u]! * slope(layer.activation, act[u]!);
        if (g === 0) continue;
        const rowStart = u * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) below[i]! += g * layer.kernelT[rowStart + i]!;
      }
      upstream = below;
    }
    const first = this.acts[0]!;
    for (let u = 0; u < member.firstUnits; u++) into[member.firstOffset + u]! += upstream[u]! * slope(member.firstActivation, first[u]!);
    return z;
  }
}

interface BinGroup {
  /** the raw feature binned */
  column: number;
  /** network input of its first bin */
  firstInput: number;
  lo: Float64Array;
  hi: Float64Array;
  /** [bins + 1 × entryWidth]: row b is the sum of the kernel rows of bins 0 … b−1 */
  prefix: Float64Array;
  /** [bins × entryWidth] fused rows (see the constructor); absent when the column is binned twice */
  base: Float64Array | undefined;
  slope: Float64Array | undefined;
}

/** out[u] = activation(bias[u] + Σ input[i]·W[i][u]), one register-held dot product per unit. */
function dense(layer: Dense, input: Float64Array, out: Float64Array): void {
  for (let u = 0; u < layer.units; u++) out[u] = activate(layer.activation, dot(layer, u, input));
}

function dot(layer: Dense, u: number, input: Float64Array): number {
  const n = layer.inputs;
  const k = layer.kernelT;
  const rowStart = u * n;
  let s = layer.bias[u]!;
  for (let i = 0; i < n; i++) s += input[i]! * k[rowStart + i]!;
  return s;
}

function activate(activation: Activation, x: number): number {
  switch (activation) {
    case 'relu':
      return x > 0 ? x : 0;
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'tanh':
      return Math.tanh(x);
    case 'linear':
      return x;
  }
}

/** d activation / d pre-activation, from the activation's output y. */
function slope(activation: Activation, y: number): number {
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
