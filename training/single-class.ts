/**
 * The one check every trainer makes first: with a single class there is nothing to learn and no metric is
 * defined, so training stops with a clear error instead of a NaN model.
 */
import { IobError } from '../engine/index.ts';
import { classCounts } from './metrics.ts';

export function requireBothClasses(labels: ArrayLike<number>, what = 'training'): { positives: number; negatives: number } {
  const counts = classCounts(labels);
  if (counts.positives === 0 || counts.negatives === 0) {
    const only = counts.positives === 0 ? 'no positive (purchase) rows' : 'no negative (non-purchase) rows';
    throw new IobError('IOB_ERR_VALIDATION', `${what} needs both classes, but the data has ${only} among ${labels.length} rows`, [
      { path: 'labels', reason: 'single_class', message: `${only}; both purchases and non-purchases are needed` },
    ]);
  }
  return counts;
}
