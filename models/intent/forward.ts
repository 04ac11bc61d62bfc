/**
 * The intent model's forward pass without TF.js: piecewise-linear encoding → standardize → each member's
 * wide + deep logit → mean → Platt calibration. This is the only inference path: serving scores with it and
 * training evaluates with it, so the metrics in a model card are the metrics of what serves.
 *
 * No TF.js here: a `predict` call costs ~150 µs of dispatch even for a tiny net. The layout makes one row a
 * few µs:
 * - the entry layer: every member's first dense layer and wide term read the same input, so their kernels
 *   are fused into one matrix, with standardization folded in (W/σ, b − Σ μ/σ·W). The input is then the
 *   encoded row itself, which is mostly zeros (bins not reached), and zero inputs are skipped;
 * - bin columns are never materialized: a binned feature adds the prefix sum of its full bins' kernel rows
 *   and one fractional row (for a feature binned once, a precomputed base row and slope row), so a row of
 *   features becomes a short list of (kernel row, coefficient, feature) terms, and a feature's share of the
 *   entry — what its contribution (reasons) is measured against — is the sum of its terms;
 * - the arithmetic (entry sums, dense layers, the backward pass, contributions) runs in WebAssembly SIMD
 *   kernels (kernels.wat), four float32 lanes at a time, on weights laid out once per model in the kernel
 *   instance's memory, in one call per row (`network`, which walks the members from descriptors written at
 *   load). TypeScript keeps the bin search, which lists the terms a row adds.
 * Weights are float32 as TF.js trains them, and so is the arithmetic, as in `model.predict`; folding and
 * prefix sums are computed in float64 before the rows are stored. One difference: with standardization
 * folded in, an input adds x·(w/σ) and the bias holds −μ/σ·w, so float32 rounding grows with |x/σ| rather
 * than with the standardized value (TF.js subtracts μ first); harmless at the features' scales, and a parity
 * test holds this equal to `model.predict` within 1e-5 on real and random rows.
 */
import { calibrate, type PlattCalibration } from '../calibration.ts';
import type { Matrix } from '../matrix.ts';
import { NO_ENCODING, encodedExtra, encodedSources, type PiecewiseLinearEncoding } from '../piecewise-linear.ts';
import type { Standardization } from '../standardize.ts';
import { memberLayerNames, validateArchitecture, type Activation, type IntentArchitecture } from './architecture.ts';
import { instantiateKernels, Layout, padBytes, type KernelExports } from './kernels.ts';

/** Weight arrays by name (`m0_deep0/kernel`), kernels row-major [inputs × units] as TF.js stores them. */
export type NamedWeights = ReadonlyMap<string, Float32Array>;

/** Activation codes of kernels.wat. */
const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, elu: 2, tanh: 3 };
/** i32 fields of a member's descriptor before its layers, and per layer (kernels.wat `member`). */
const MEMBER_HEADER = 6;
const LAYER_FIELDS = 8;

/** A dense layer after the entry layer, in kernel memory: kernel transposed to [units × inputs], rows padded. */
interface Dense {
  units: number;
  /** bytes of one padded kernel row (the padded width of its input) */
  inBytes: number;
  kernel: number;
  /** the kernel as TF.js stores it, [inputs × units], rows padded to whole vectors */
  rows: number;
  bias: number;
  kind: number;
}

interface Member {
  /** Where this member's first layer (first hidden layer, or the output when there is none) sits in the entry. */
  firstOffset: number;
  firstUnits: number;
  /** Activation code of the first layer (linear when it is the output). */
  firstKind: number;
  /** Entry column of the wide term, or -1. */
  wideOffset: number;
  /** Hidden layers after the first, then the output layer. */
  rest: Dense[];
}

interface BinGroup {
  /** the raw feature binned */
  column: number;
  /** network input of its first bin */
  firstInput: number;
  lo: Float64Array;
  hi: Float64Array;
  /** memory of row b (b = 0 … bins): the sum of the kernel rows of bins 0 … b−1 */
  prefix: number;
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
  private readonly members: Member[];
  private readonly groups: BinGroup[];
  /**
   * Per raw feature binned once (fused base/slope rows), flat for the bin search: where its edges start in
   * `fusedEdges` (-1: not fused), its bins, and the memory of its first base and slope rows.
   */
  private readonly edgeAt: Int32Array;
  private readonly binsOf: Int32Array;
  private readonly baseOf: Int32Array;
  private readonly slopeOf: Int32Array;
  private readonly fusedEdges: Float64Array;
  private readonly k: KernelExports;
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  /** Bytes of one entry-wide row (padded). */
  private readonly rowBytes: number;
  // Memory offsets (bytes) of the fixed rows and the scratch, allocated once: scoring allocates nothing.
  // (Not re-entrant; JS is single-threaded.)
  private readonly kernelRows: number;
  private readonly biasRow: number;
  private readonly meanShare: number;
  private readonly entry: number;
  private readonly entryGrad: number;
  private readonly terms: number;
  private readonly featureOf: number;
  private termCount = 0;
  private readonly contributionsOut: number;
  /** Memory of the members' descriptors' addresses (kernels.wat `member`), one i32 each. */
  private readonly memberTable: number;
  /** Per raw feature: covered by its fused rows in this row (the bin loop skips it). */
  private readonly done: Uint8Array;

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
    const mean = Float64Array.from(standardization.mean);
    const std = Float64Array.from(standardization.std);

    const take = (name: string, size: number): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new RangeError(`weight '${name}' is missing`);
      if (w.length !== size) throw new RangeError(`weight '${name}' holds ${w.length} values, expected ${size}`);
      return w;
    };

    // Entry layer: gather each member's first layer and wide kernel, then fuse and fold.
    const blocks: Array<{ kernel: Float32Array; bias: Float32Array | undefined; units: number }> = [];
    const restWeights: Array<Array<{ kernel: Float32Array; bias: Float32Array; inputs: number; units: number; activation: Activation }>> = [];
    let entryWidth = 0;
    const memberShapes = Array.from({ length: arch.members }, (_, k) => {
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
      const rest = [];
      for (let j = 1; j < layerNames.length; j++) {
        const inputs = sizes[j - 1]!;
        const units = sizes[j]!;
        rest.push({
          kernel: take(`${layerNames[j]}/kernel`, inputs * units),
          bias: take(`${layerNames[j]}/bias`, units),
          inputs,
          units,
          activation: j === layerNames.length - 1 ? ('linear' as const) : arch.activation,
        });
      }
      restWeights.push(rest);
      return { firstOffset, firstUnits, firstKind: ACTIVATION_CODE[arch.hidden.length > 0 ? arch.activation : 'linear'], wideOffset };
    });

    const entryKernel = new Float64Array(width * entryWidth);
    const entryBias = new Float64Array(entryWidth);
    let offset = 0;
    for (const block of blocks) {
      for (let u = 0; u < block.units; u++) {
        let bias = block.bias ? block.bias[u]! : 0;
        for (let i = 0; i < width; i++) {
          // (x − μ)/σ · w = x · (w/σ) − μ/σ · w
          const w = block.kernel[i * block.units + u]! / std[i]!;
          entryKernel[i * entryWidth + offset + u] = w;
          bias -= mean[i]! * w;
        }
        entryBias[offset + u] = bias;
      }
      offset += block.units;
    }

    // Lay out the kernel memory: every entry-wide row padded to whole SIMD vectors.
    const rowBytes = padBytes(entryWidth);
    const rowFloats = rowBytes / 4;
    this.rowBytes = rowBytes;
    const layout = new Layout();
    const rows = (n: number) => layout.floats(n * rowFloats);
    this.kernelRows = rows(width);
    this.biasRow = rows(1);
    // the features' shares at the mean, negated and transposed: [entry columns (padded) × features (padded)]
    this.meanShare = layout.floats((rowBytes / 4) * (padBytes(this.inputs) / 4));
    this.entry = rows(1);
    this.entryGrad = rows(1);
    const encodedColumns = encoding.columns.map(({ column, edges }, index, all) => {
      const bins = Math.max(0, edges.length - 1);
      // Fused rows (see below) for a feature binned once; one binned twice takes the general path.
      return { column, bins, edges, fused: bins > 0 && !all.some((o, i) => i !== index && o.column === column) };
    });
    const groupRows = encodedColumns.map((c) => ({ prefix: rows(c.bins + 1), base: c.fused ? rows(c.bins) : -1, slope: c.fused ? rows(c.bins) : -1 }));
    const restLayout = restWeights.map((rest) =>
      rest.map((l) => {
        const inBytes = padBytes(l.inputs);
        const unitBytes = padBytes(l.units);
        return { inBytes, unitBytes, kernel: layout.floats((l.units * inBytes) / 4), rows: layout.floats((inBytes / 4) * (unitBytes / 4)), bias: layout.floats(l.units) };
      }),
    );
    // Per hidden layer j: its activations and the gradient at them (shared by the members in turn), and the output.
    const acts = arch.hidden.map((h) => layout.floats(h));
    const grads = arch.hidden.map((h) => layout.floats(h));
    const scalar = layout.floats(1);
    const maxTerms = this.inputs + encodedColumns.length;
    this.terms = layout.floats(4 * maxTerms);
    this.featureOf = layout.floats(maxTerms);
    this.contributionsOut = layout.floats(this.inputs);
    this.memberTable = layout.floats(arch.members);
    const descriptors = restLayout.map((rest) => layout.floats(MEMBER_HEADER + LAYER_FIELDS * rest.length));
    this.k = instantiateKernels(layout.bytes);
    this.f32 = new Float32Array(this.k.memory.buffer);
    this.i32 = new Int32Array(this.k.memory.buffer);
    const f32 = this.f32;
    const row = (at: number, r: number) => (at + r * rowBytes) / 4;

    for (let c = 0; c < width; c++) f32.set(entryKernel.subarray(c * entryWidth, (c + 1) * entryWidth), row(this.kernelRows, c));
    f32.set(entryBias, row(this.biasRow, 0));

    // Bin columns: the encoded value of bin b is 1 below the value, a fraction in its bin, 0 above, so the
    // bins' share of the entry is (sum of the kernel rows of the full bins) + fraction · (row of the bin
    // holding the value): prefix sums make that two rows per feature instead of one per bin.
    // A feature binned once whose value lies in bin k: its raw term x·K_raw is linear in the same fraction,
    // x = lo_k + frac·(hi_k − lo_k), so raw + bins = (prefix_k + lo_k·K_raw) + frac·(K_bin k + (hi_k − lo_k)·K_raw):
    // one base row and one slope row per bin, precomputed.
    this.edgeAt = new Int32Array(this.inputs).fill(-1);
    this.binsOf = new Int32Array(this.inputs);
    this.baseOf = new Int32Array(this.inputs);
    this.slopeOf = new Int32Array(this.inputs);
    const fusedEdges: number[] = [];
    this.groups = [];
    let col = this.inputs;
    encodedColumns.forEach(({ column, bins, edges, fused }, index) => {
      const { prefix: prefixAt, base: baseAt, slope: slopeAt } = groupRows[index]!;
      const prefix = new Float64Array((bins + 1) * entryWidth);
      for (let b = 0; b < bins; b++) {
        for (let j = 0; j < entryWidth; j++) prefix[(b + 1) * entryWidth + j] = prefix[b * entryWidth + j]! + entryKernel[(col + b) * entryWidth + j]!;
      }
      for (let b = 0; b <= bins; b++) f32.set(prefix.subarray(b * entryWidth, (b + 1) * entryWidth), row(prefixAt, b));
      const lo = Float64Array.from(edges.slice(0, -1));
      const hi = Float64Array.from(edges.slice(1));
      if (fused) {
        const rawRow = column * entryWidth;
        for (let b = 0; b < bins; b++) {
          const binWidth = hi[b]! - lo[b]!;
          const base = row(baseAt, b);
          const slope = row(slopeAt, b);
          for (let j = 0; j < entryWidth; j++) {
            const kRaw = entryKernel[rawRow + j]!;
            f32[base + j] = prefix[b * entryWidth + j]! + lo[b]! * kRaw;
            f32[slope + j] = entryKernel[(col + b) * entryWidth + j]! + binWidth * kRaw;
          }
        }
        this.edgeAt[column] = fusedEdges.length;
        this.binsOf[column] = bins;
        this.baseOf[column] = baseAt;
        this.slopeOf[column] = slopeAt;
        fusedEdges.push(...edges);
      }
      this.groups.push({ column, firstInput: col, lo, hi, prefix: prefixAt });
      col += bins;
    });
    this.fusedEdges = Float64Array.from(fusedEdges);

    // Per raw feature f: Σ over its network inputs c of kernel row c · mean[c] (its share at the training mean).
    const sources = encodedSources(this.inputs, encoding);
    const meanShare = new Float64Array(this.inputs * entryWidth);
    for (let c = 0; c < width; c++) {
      const m = mean[c]!;
      if (m === 0) continue;
      const to = sources[c]! * entryWidth;
      for (let j = 0; j < entryWidth; j++) meanShare[to + j]! += entryKernel[c * entryWidth + j]! * m;
    }
    const featureFloats = padBytes(this.inputs) / 4;
    for (let f = 0; f < this.inputs; f++) for (let j = 0; j < entryWidth; j++) f32[this.meanShare / 4 + j * featureFloats + f] = -meanShare[f * entryWidth + j]!;

    // Later layers, twice: as TF.js stores them ([inputs × units], rows padded: the forward pass sums rows
    // scaled by inputs) and transposed ([units × inputs], rows padded: the backward pass's rows per unit).
    this.members = memberShapes.map((shape, k) => ({
      ...shape,
      rest: restWeights[k]!.map((l, j) => {
        const at = restLayout[k]![j]!;
        const rowFloatsIn = at.inBytes / 4;
        const rowFloatsUnits = at.unitBytes / 4;
        for (let u = 0; u < l.units; u++) for (let i = 0; i < l.inputs; i++) f32[at.kernel / 4 + u * rowFloatsIn + i] = l.kernel[i * l.units + u]!;
        for (let i = 0; i < l.inputs; i++) f32.set(l.kernel.subarray(i * l.units, (i + 1) * l.units), at.rows / 4 + i * rowFloatsUnits);
        f32.set(l.bias, at.bias / 4);
        return { units: l.units, inBytes: at.inBytes, kernel: at.kernel, rows: at.rows, bias: at.bias, kind: ACTIVATION_CODE[l.activation] };
      }),
    }));
    // The members' descriptors (kernels.wat `member`): layer j reads acts[j] and writes acts[j + 1] (the last
    // writes the one-unit output); the backward pass writes the gradient at layer j's input into grads[j].
    const i32 = this.i32;
    this.members.forEach((member, k) => {
      const d = descriptors[k]! / 4;
      i32[this.memberTable / 4 + k] = descriptors[k]!;
      i32.set([member.firstOffset * 4, member.firstUnits, member.firstKind, member.wideOffset >= 0 ? member.wideOffset * 4 : -1, member.rest.length, acts[0] ?? 0], d);
      member.rest.forEach((layer, j) => {
        const out = j === member.rest.length - 1 ? scalar : acts[j + 1]!;
        i32.set([layer.kernel, layer.bias, layer.inBytes, layer.units, layer.kind, out, grads[j]!, layer.rows], d + MEMBER_HEADER + LAYER_FIELDS * j);
      });
    });
    this.done = new Uint8Array(this.inputs);
  }

  /** The uncalibrated ensemble logit of one row of raw (unencoded, unstandardized) features. */
  logit(raw: ArrayLike<number>): number {
    this.computeTerms(raw);
    return this.network(0) / this.members.length;
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
    this.computeTerms(raw);
    // Feature f's contribution Σ_c g_c·(x_c − μ_c) with g_c = kernel row c · dEntry is dEntry · (its share
    // of the entry − its share at the mean): one dot product per term and per feature.
    const sum = this.network(this.entryGrad);
    const n = this.members.length;
    const f32 = this.f32;
    const from = this.contributionsOut / 4;
    for (let f = 0; f < this.inputs; f++) out[f] = f32[from + f]! / n;
    return calibrate(sum / n, this.calibration);
  }

  /**
   * One kernel call for the row whose terms are listed: the entry, every member, and with `grad` (the entry
   * gradient's memory, or 0 for none) the backward pass and the contributions. The sum of the members' logits.
   */
  private network(grad: number): number {
    return this.k.network(
      this.terms,
      this.termCount,
      this.biasRow,
      this.entry,
      this.rowBytes,
      this.memberTable,
      this.members.length,
      grad,
      this.featureOf,
      this.meanShare,
      this.inputs,
      this.contributionsOut,
    );
  }

  /**
   * Lists the row's terms (kernel row, coefficient, raw feature), which the kernel sums into the entry
   * pre-activations. A binned feature inside its edges adds its base row and slope row; other features add
   * their raw kernel row (when non-zero), and a feature binned twice its prefix row and fractional bin row.
   */
  private computeTerms(raw: ArrayLike<number>): void {
    if (raw.length !== this.inputs) throw new RangeError(`row has ${raw.length} features, the model ${this.inputs}`);
    const rowBytes = this.rowBytes;
    const edgeAt = this.edgeAt;
    const edges = this.fusedEdges;
    const done = this.done;
    const i32 = this.i32;
    const f32 = this.f32;
    const featureOf = this.featureOf / 4;
    const first = this.terms / 4;
    // A term (row A, a, row B, b) at t = first + 4n, its feature at featureOf + n; b = 0 means row A alone.
    let t = first;
    for (let f = 0; f < this.inputs; f++) {
      const x = raw[f]!;
      const e = edgeAt[f]!;
      if (e >= 0) {
        const bins = this.binsOf[f]!;
        // The top edge is included (fraction 1 of the last bin): serving clamps inputs to it, and the
        // general path would take two rows (raw and full bins) for what base + slope gives in one.
        if (x >= edges[e]! && x <= edges[e + bins]!) {
          done[f] = 1;
          let k = 0;
          while (k < bins - 1 && x >= edges[e + k + 1]!) k++;
          const lo = edges[e + k]!;
          const frac = (x - lo) / (edges[e + k + 1]! - lo);
          // At the lowest edge of 0 both rows vanish (base = prefix₀ + 0·K_raw, fraction 0).
          if (k === 0 && frac === 0 && lo === 0) continue;
          i32[t] = this.baseOf[f]! + k * rowBytes;
          f32[t + 1] = 1;
          i32[t + 2] = this.slopeOf[f]! + k * rowBytes;
          f32[t + 3] = frac;
          i32[featureOf + ((t - first) >> 2)] = f;
          t += 4;
          continue;
        }
      }
      done[f] = 0;
      if (x !== 0) {
        i32[t] = this.kernelRows + f * rowBytes;
        f32[t + 1] = x;
        f32[t + 3] = 0;
        i32[featureOf + ((t - first) >> 2)] = f;
        t += 4;
      }
    }
    for (const g of this.groups) {
      if (done[g.column]) continue;
      const v = raw[g.column]!;
      const bins = g.hi.length;
      let k = 0;
      while (k < bins && v >= g.hi[k]!) k++;
      // the fraction of the bin holding the value (0 when it holds none)
      const frac = k < bins && v > g.lo[k]! ? (v - g.lo[k]!) / (g.hi[k]! - g.lo[k]!) : 0;
      if (k === 0 && frac === 0) continue;
      // full bins: the prefix row; the bin holding the value: its kernel row times the fraction
      const binRow = this.kernelRows + (g.firstInput + k) * rowBytes;
      i32[t] = k > 0 ? g.prefix + k * rowBytes : binRow;
      f32[t + 1] = k > 0 ? 1 : frac;
      i32[t + 2] = binRow;
      f32[t + 3] = k > 0 ? frac : 0;
      i32[featureOf + ((t - first) >> 2)] = g.column;
      t += 4;
    }
    this.termCount = (t - first) >> 2;
  }
}
