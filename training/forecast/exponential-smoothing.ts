/**
 * Exponential smoothing with additive errors and a damped trend, in the error-correction form of
 * Hyndman et al., "Forecasting with Exponential Smoothing" (2008):
 *
 *   ŷ_t = l + φ·b + s_{t−m}        e_t = y_t − ŷ_t
 *   l  ← l + φ·b + α·e             b ← φ·b + β·e          s_t ← s_{t−m} + γ·e
 *
 * The model is chosen by how much history there is: Holt-Winters (seasonal) with two full seasons, a
 * damped Holt trend with a little history, simple smoothing below that. Parameters minimise the in-sample
 * sum of squared one-step errors (Nelder–Mead over unconstrained transforms that keep 0 < β < α < 1,
 * 0 < γ < 1 − α and 0.8 ≤ φ ≤ 0.98, the usual admissible region); the initial states come from the first
 * seasons (the classical heuristic) rather than being optimised, which keeps a fit well under a
 * millisecond for two years of daily data.
 */
import { nelderMead } from './nelder-mead.ts';

export type EtsKind = 'holt-winters' | 'damped-holt' | 'simple' | 'constant';

export interface EtsFit {
  kind: EtsKind;
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  /** season length (1 when not seasonal) */
  m: number;
  /** states after the last observation */
  level: number;
  trend: number;
  /** seasonal states by phase (t mod m) */
  season: Float64Array;
  /** length of the fitted history */
  n: number;
  /** in-sample one-step errors */
  residuals: Float64Array;
}

/** Below this many observations a trend cannot be told from noise: simple smoothing. */
const MIN_TREND_HISTORY = 10;
const PHI_MIN = 0.8;
const PHI_MAX = 0.98;

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

interface Initial {
  level: number;
  trend: number;
  season: Float64Array;
}

const logistic = (u: number): number => 1 / (1 + Math.exp(-u));
const logit = (p: number): number => Math.log(p / (1 - p));

function chooseKind(n: number, m: number, allZero: boolean): EtsKind {
  if (allZero || n < 2) return 'constant';
  if (m > 1 && n >= 2 * m) return 'holt-winters';
  return n >= MIN_TREND_HISTORY ? 'damped-holt' : 'simple';
}

function mean(y: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += y[i] as number;
  return sum / Math.max(1, to - from);
}

/**
 * Heuristic initial states. Seasonal: level = mean of the first season, trend = change between the first
 * two season means per period, season = the average deviation from its season's mean over up to three
 * seasons (centred to sum to zero). Otherwise: level = mean of the first few values, no trend.
 */
function initialStates(y: ArrayLike<number>, kind: EtsKind, m: number): Initial {
  const season = new Float64Array(m);
  if (kind !== 'holt-winters') return { level: mean(y, 0, Math.min(y.length, 7)), trend: 0, season };
  const first = mean(y, 0, m);
  const seasons = Math.min(3, Math.floor(y.length / m));
  for (let k = 0; k < seasons; k++) {
    const seasonMean = mean(y, k * m, (k + 1) * m);
    for (let j = 0; j < m; j++) season[j] = (season[j] as number) + ((y[k * m + j] as number) - seasonMean) / seasons;
  }
  const centre = mean(season, 0, m);
  for (let j = 0; j < m; j++) season[j] = (season[j] as number) - centre;
  return { level: first, trend: (mean(y, m, 2 * m) - first) / m, season };
}

/** Runs the recursion; returns the SSE and, when asked, leaves the final states and errors behind. */
function run(y: ArrayLike<number>, m: number, p: Params, init: Initial, out?: { fit: EtsFit }): number {
  let level = init.level;
  let trend = init.trend;
  const season = Float64Array.from(init.season);
  const residuals = out ? new Float64Array(y.length) : undefined;
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const phase = t % m;
    const damped = p.phi * trend;
    const error = (y[t] as number) - (level + damped + (season[phase] as number));
    sse += error * error;
    if (residuals) residuals[t] = error;
    level += damped + p.alpha * error;
    trend = damped + p.beta * error;
    season[phase] = (season[phase] as number) + p.gamma * error;
  }
  if (out && residuals) Object.assign(out.fit, { level, trend, season, residuals, n: y.length });
  return sse;
}

function decode(u: Float64Array, kind: EtsKind): Params {
  const alpha = 1e-4 + (1 - 2e-4) * logistic(u[0] as number);
  const trended = kind === 'holt-winters' || kind === 'damped-holt';
  return {
    alpha,
    beta: trended ? alpha * logistic(u[1] as number) : 0,
    gamma: kind === 'holt-winters' ? (1 - alpha) * logistic(u[2] as number) : 0,
    phi: trended ? PHI_MIN + (PHI_MAX - PHI_MIN) * logistic(u[3] as number) : 0,
  };
}

/** Fits the model the history allows (see the module comment) to `y` with season length `m`. */
export function fitEts(y: ArrayLike<number>, m: number): EtsFit {
  let allZero = true;
  for (let i = 0; i < y.length && allZero; i++) allZero = y[i] === 0;
  const kind = chooseKind(y.length, m, allZero);
  const seasonLength = kind === 'holt-winters' ? m : 1;
  const fit: EtsFit = {
    kind,
    alpha: 0,
    beta: 0,
    gamma: 0,
    phi: 0,
    m: seasonLength,
    level: y.length > 0 ? (y[y.length - 1] as number) : 0,
    trend: 0,
    season: new Float64Array(seasonLength),
    n: y.length,
    residuals: new Float64Array(0),
  };
  if (kind === 'constant') return fit;

  const init = initialStates(y, kind, seasonLength);
  const dims = kind === 'holt-winters' ? 4 : kind === 'damped-holt' ? 4 : 1;
  const start = Float64Array.from([logit(0.2), logit(0.05), logit(0.05), logit((0.95 - PHI_MIN) / (PHI_MAX - PHI_MIN))].slice(0, dims));
  const objective = (u: Float64Array): number => {
    const sse = run(y, seasonLength, decode(u, kind), init);
    return Number.isFinite(sse) ? sse : Number.MAX_VALUE;
  };
  const best = nelderMead(objective, start, { maxIterations: 300 });
  Object.assign(fit, decode(best.x, kind));
  run(y, seasonLength, fit, init, { fit });
  return fit;
}

/** Point forecasts for steps 1..horizon after the fitted history. */
export function etsForecast(fit: EtsFit, horizon: number): Float64Array {
  const out = new Float64Array(horizon);
  let dampedSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    phiPower *= fit.phi;
    dampedSum += phiPower;
    out[h - 1] = fit.level + dampedSum * fit.trend + (fit.season[(fit.n + h - 1) % fit.m] as number);
  }
  return out;
}

/**
 * How the forecast error variance grows with the horizon, relative to the one-step variance:
 * v_h = 1 + Σ_{j<h} c_j², c_j = α + β·(φ + … + φ^j) + γ·[j mod m = 0] (Hyndman et al. 2008, table 6.1).
 */
export function etsVarianceFactors(fit: EtsFit, horizon: number): Float64Array {
  const out = new Float64Array(horizon);
  let sum = 1;
  let dampedSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    out[h - 1] = sum;
    const j = h; // c_j for the next step
    phiPower *= fit.phi;
    dampedSum += phiPower;
    const c = fit.alpha + fit.beta * dampedSum + (fit.m > 1 && j % fit.m === 0 ? fit.gamma : 0);
    sum += c * c;
  }
  return out;
}
