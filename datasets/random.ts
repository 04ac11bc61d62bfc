/**
 * A small seeded PRNG (sfc32) and the distributions the synthetic generator needs.
 *
 * Why our own: `Math.random` cannot be seeded, and the generator must give byte-identical output for the
 * same seed on every machine and Node version. sfc32 is fast, passes PractRand to large sizes, and is four
 * 32-bit words of state, so every simulated subject can own an independent stream cheaply.
 */

/** murmur3's 32-bit finalizer: spreads the bits of small, similar inputs (seed 1, 2, 3 …) over the whole word. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * A stream determined by `seed` and any number of stream keys, e.g. `new Rng(seed, SUBJECTS, 17)`.
   * Different keys give statistically independent streams, so adding a subject never changes another's.
   */
  constructor(seed: number, ...streamKeys: number[]) {
    let h = mix32(seed ^ 0x9e3779b9);
    for (const key of streamKeys) h = mix32(h ^ mix32(key + 0x632be5ab));
    this.a = h;
    this.b = mix32(h ^ 0x1b873593);
    this.c = mix32(h ^ 0xcc9e2d51);
    this.d = 1;
    // The first outputs of a fresh sfc32 state are poorly mixed; the reference implementation discards 12.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new RangeError('pick from an empty list');
    return values[this.int(values.length)] as T;
  }

  /** Standard normal (Box–Muller; the second value is discarded to keep the state simple). */
  normal(): number {
    const u = 1 - this.float(); // (0, 1]: log(0) would be -Infinity
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-scale spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Poisson-distributed count. Knuth's method for the small rates we use, a normal approximation above 30. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Number of failures before the first success; mean (1 - p) / p. */
  geometric(p: number): number {
    return Math.floor(Math.log(1 - this.float()) / Math.log(1 - p));
  }

  /** Index drawn in proportion to weights, given their running sums (see `cumulativeWeights`). */
  weightedIndex(cumulative: ArrayLike<number>): number {
    const n = cumulative.length;
    const target = this.float() * (cumulative[n - 1] as number);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * `Rng.weightedIndex` for many draws from one large distribution: the same index for the same uniform draw
 * (the first running sum above it), found through a guide table (Chen & Asau 1974) in O(1) expected steps
 * where the binary search takes log n scattered reads. item2vec draws five negatives per training pair from
 * ~10^5 items; the search was a fifth of its time.
 */
export class CumulativeSampler {
  /** Per bucket b of the total's n equal parts: the first index whose running sum exceeds the bucket's start. */
  private readonly guide: Int32Array;
  private readonly scale: number;

  constructor(private readonly cumulative: Float64Array) {
    const n = cumulative.length;
    const total = n > 0 ? cumulative[n - 1]! : 0;
    this.scale = total > 0 ? n / total : 0;
    this.guide = new Int32Array(n + 1).fill(Math.max(0, n - 1));
    if (this.scale === 0) return;
    for (let b = 0, i = 0; b <= n; b++) {
      const start = b / this.scale;
      while (i < n - 1 && cumulative[i]! <= start) i++;
      this.guide[b] = i;
    }
  }

  draw(rng: Rng): number {
    const c = this.cumulative;
    const n = c.length;
    const u = rng.float();
    if (n === 0) return 0; // as weightedIndex, which also takes its draw
    const target = u * c[n - 1]!;
    let i = this.guide[Math.min(n, Math.floor(target * this.scale))]!;
    // rounding can put the guide one step off either way: settle on weightedIndex's answer
    while (i > 0 && c[i - 1]! > target) i--;
    while (i < n - 1 && c[i]! <= target) i++;
    return i;
  }
}

/** Running sums of weights, the form `Rng.weightedIndex` samples from in O(log n). */
export function cumulativeWeights(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i] as number;
  return out;
}
