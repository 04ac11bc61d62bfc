/**
 * Chooses the ranking's parameters on a validation slice, never on the test period: coordinate ascent over
 * a coarse grid per parameter, starting from the defaults, a fixed number of rounds.
 *
 * The objective is the bar stated as one number: the smaller of the model's ratios to SKNN on
 * HR@20 and on MRR@20 (on the validation slice). Raising the worse of the two ratios is what "beat SKNN on
 * both" asks for; a plain sum would trade one metric away for the other.
 */
import type { RankingParams } from '../../models/offers/ranker.ts';
import type { RankingMetrics } from './protocol.ts';

type Path = readonly [keyof RankingParams] | readonly ['weights', keyof RankingParams['weights']];

/** The grid: each parameter's candidate values. Counts of seeds and candidates are not tuned. */
export const TUNING_GRID: ReadonlyArray<{ path: Path; values: number[] }> = [
  { path: ['weights', 'cooc'], values: [0, 0.25, 0.5, 1, 2, 4] },
  { path: ['weights', 'similarity'], values: [0, 0.125, 0.25, 0.5, 1, 2] },
  { path: ['weights', 'session'], values: [0, 0.125, 0.25, 0.5, 1, 2] },
  { path: ['weights', 'history'], values: [0, 0.125, 0.25, 0.5, 1, 2] },
  { path: ['weights', 'popularity'], values: [0, 0.01, 0.05, 0.2] },
  { path: ['weights', 'bought'], values: [0, 0.25, 0.5, 1, 2] },
  { path: ['sessionDecay'], values: [0.3, 0.5, 0.7, 0.9] },
  { path: ['historyDecay'], values: [0.7, 0.8, 0.9, 0.97] },
  { path: ['historyContext'], values: [0, 0.1, 0.3, 1] },
];

export interface TuningStep {
  parameter: string;
  value: number;
  objective: number;
  metrics: RankingMetrics;
}

export interface TuningResult {
  params: RankingParams;
  objective: number;
  metrics: RankingMetrics;
  /** Every improvement, in order: what the card records. */
  steps: TuningStep[];
  evaluations: number;
}

/** The most evaluations `rounds` of coordinate ascent can take (fewer when a round changes nothing or a value is the current one). */
export function maxTuningEvaluations(rounds: number): number {
  return 1 + rounds * TUNING_GRID.reduce((n, { values }) => n + values.length, 0);
}

export function objectiveAgainst(reference: RankingMetrics): (m: RankingMetrics) => number {
  const ratio = (value: number, base: number): number => (base > 0 ? value / base : value > 0 ? Infinity : 1);
  return (m) => Math.min(ratio(m['hr@20'], reference['hr@20']), ratio(m['mrr@20'], reference['mrr@20']));
}

export function withValue(params: RankingParams, path: Path, value: number): RankingParams {
  if (path[0] === 'weights') return { ...params, weights: { ...params.weights, [path[1]!]: value } };
  return { ...params, [path[0]]: value };
}

function valueAt(params: RankingParams, path: Path): number {
  return path[0] === 'weights' ? (params.weights[path[1]!] ?? 0) : (params[path[0]] as number);
}

/** Coordinate ascent; `evaluate` runs the ranking with the given parameters on the validation slice. */
export async function tuneRanking(
  start: RankingParams,
  evaluate: (params: RankingParams) => Promise<RankingMetrics>,
  objective: (m: RankingMetrics) => number,
  rounds: number,
): Promise<TuningResult> {
  let params = start;
  let metrics = await evaluate(params);
  let best = objective(metrics);
  let evaluations = 1;
  const steps: TuningStep[] = [];
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const { path, values } of TUNING_GRID) {
      for (const value of values) {
        if (value === valueAt(params, path)) continue;
        const candidate = withValue(params, path, value);
        const m = await evaluate(candidate);
        evaluations++;
        const o = objective(m);
        // Strictly better only: ties keep the earlier (simpler, default-side) setting.
        if (o > best + 1e-9) {
          params = candidate;
          metrics = m;
          best = o;
          improved = true;
          steps.push({ parameter: path.join('.'), value, objective: o, metrics: m });
        }
      }
    }
    if (!improved) break;
  }
  return { params, objective: best, metrics, steps, evaluations };
}
