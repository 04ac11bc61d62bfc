/**
 * Top-k selection over scored candidates, shared by the model's ranking and the baselines so that every
 * ranker breaks ties the same way: higher score, then more popular in training, then lower item index.
 * A fixed tie order is what makes two runs print the same numbers.
 */

/**
 * The k best of `candidates` (item indices; no duplicates) by `scoreOf`, best first. `popularity` breaks
 * ties (indexed by item); equal popularity falls back to the smaller index.
 */
export function topK(candidates: ArrayLike<number>, scoreOf: (item: number) => number, k: number, popularity?: ArrayLike<number>): { items: number[]; scores: number[] } {
  const n = candidates.length;
  const items: number[] = [];
  const scores: number[] = [];
  if (k <= 0 || n === 0) return { items, scores };
  // Insertion into a small sorted buffer: k is 10–50 and most candidates fail the first comparison.
  for (let c = 0; c < n; c++) {
    const item = candidates[c]!;
    const s = scoreOf(item);
    if (Number.isNaN(s)) continue;
    const m = items.length;
    if (m === k && !better(s, item, scores[m - 1]!, items[m - 1]!, popularity)) continue;
    let at = m === k ? m - 1 : m;
    while (at > 0 && better(s, item, scores[at - 1]!, items[at - 1]!, popularity)) {
      items[at] = items[at - 1]!;
      scores[at] = scores[at - 1]!;
      at--;
    }
    items[at] = item;
    scores[at] = s;
  }
  return { items, scores };
}

/** Whether (score si, item i) ranks before (sj, j). A module function, not a closure per call: ranking runs per request. */
function better(si: number, i: number, sj: number, j: number, popularity: ArrayLike<number> | undefined): boolean {
  if (si !== sj) return si > sj;
  const pi = popularity ? popularity[i]! : 0;
  const pj = popularity ? popularity[j]! : 0;
  return pi > pj || (pi === pj && i < j);
}
