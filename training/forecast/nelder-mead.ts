/**
 * Nelder–Mead simplex minimisation: derivative-free, deterministic, a few dozen lines. Enough for the
 * four smoothing parameters of exponential smoothing, whose SSE surface is smooth but whose gradient
 * would have to be carried through the whole recursion.
 */

export interface MinimizeOptions {
  /** initial step along each axis */
  step?: number;
  maxIterations?: number;
  /** stop when the simplex's function values differ by less than this (relative to the best, plus 1e-12) */
  tolerance?: number;
}

export interface Minimum {
  x: Float64Array;
  value: number;
  iterations: number;
}

export function nelderMead(f: (x: Float64Array) => number, start: ArrayLike<number>, options: MinimizeOptions = {}): Minimum {
  const n = start.length;
  const step = options.step ?? 1;
  const maxIterations = options.maxIterations ?? 200 * n;
  const tolerance = options.tolerance ?? 1e-8;

  const points: Float64Array[] = [];
  const values: number[] = [];
  for (let i = 0; i <= n; i++) {
    const p = Float64Array.from(start);
    if (i > 0) p[i - 1] = (p[i - 1] as number) + step;
    points.push(p);
    values.push(f(p));
  }
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const centroid = new Float64Array(n);
  const along = (t: number): Float64Array => {
    // centroid + t · (centroid − worst)
    const worst = points[order[n] as number] as Float64Array;
    const p = new Float64Array(n);
    for (let d = 0; d < n; d++) p[d] = (centroid[d] as number) + t * ((centroid[d] as number) - (worst[d] as number));
    return p;
  };

  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    order.sort((a, b) => (values[a] as number) - (values[b] as number));
    const best = values[order[0] as number] as number;
    const worst = values[order[n] as number] as number;
    if (Math.abs(worst - best) <= tolerance * (Math.abs(best) + 1e-12)) break;

    centroid.fill(0);
    for (let i = 0; i < n; i++) {
      const p = points[order[i] as number] as Float64Array;
      for (let d = 0; d < n; d++) centroid[d] = (centroid[d] as number) + (p[d] as number) / n;
    }
    const secondWorst = values[order[n - 1] as number] as number;
    const worstIndex = order[n] as number;

    const reflected = along(1);
    const reflectedValue = f(reflected);
    if (reflectedValue < best) {
      const expanded = along(2);
      const expandedValue = f(expanded);
      const takeExpanded = expandedValue < reflectedValue;
      points[worstIndex] = takeExpanded ? expanded : reflected;
      values[worstIndex] = takeExpanded ? expandedValue : reflectedValue;
      continue;
    }
    if (reflectedValue < secondWorst) {
      points[worstIndex] = reflected;
      values[worstIndex] = reflectedValue;
      continue;
    }
    // Contract towards the better of the worst point and its reflection.
    const outside = reflectedValue < worst;
    const contracted = along(outside ? 0.5 : -0.5);
    const contractedValue = f(contracted);
    if (contractedValue < (outside ? reflectedValue : worst)) {
      points[worstIndex] = contracted;
      values[worstIndex] = contractedValue;
      continue;
    }
    // Shrink everything towards the best point.
    const bestPoint = points[order[0] as number] as Float64Array;
    for (let i = 1; i <= n; i++) {
      const index = order[i] as number;
      const p = points[index] as Float64Array;
      for (let d = 0; d < n; d++) p[d] = (bestPoint[d] as number) + 0.5 * ((p[d] as number) - (bestPoint[d] as number));
      values[index] = f(p);
    }
  }
  let bestIndex = 0;
  for (let i = 1; i <= n; i++) if ((values[i] as number) < (values[bestIndex] as number)) bestIndex = i;
  return { x: points[bestIndex] as Float64Array, value: values[bestIndex] as number, iterations };
}
