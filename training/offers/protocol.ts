/**
 * The session-rec evaluation protocol (issue 6), so numbers compare with published tables:
 *
 * - test = sessions whose first event lies in the last D days of the log (after `cutoff = last event − D
 *   days`); training = every other session;
 * - in test sessions, items never seen in training are removed, then sessions shorter than 2 are dropped;
 * - every prefix of a test session predicts its next item: a session of n steps gives n − 1 predictions;
 * - HR@k (next item in the top k), MRR@k (1/rank, 0 beyond k), and catalog coverage (share of training
 *   items that appear in at least one top-20 list).
 *
 * Rankers see the prefix and, for rankers that use it, the subject's own earlier items (only events before
 * the session started, all of them in training sessions): what the online state holds at serving time.
 */
import { Rng } from '../../datasets/random.ts';
import type { ItemSession } from './sessions.ts';

export const DAY_MS = 86_400_000;
/** The list length metrics and coverage are computed at. */
export const LIST_LENGTH = 20;

export interface NextItemQuery {
  /** Items of the session so far (log indices), oldest first: the last one is the item being viewed. */
  prefix: readonly number[];
  /** Event times of the prefix steps. */
  times: readonly number[];
  /** The subject's earlier items (log indices), oldest first, every one before this session started. */
  history: readonly number[];
}

export interface NextItemRanker {
  /** The top `k` items (log indices), best first. */
  recommend(query: NextItemQuery, k: number): number[];
}

export interface SessionSplit {
  train: ItemSession[];
  /** Test sessions after the protocol's filtering (unseen items removed, length ≥ 2). */
  test: ItemSession[];
  cutoff: number;
  counts: {
    trainSessions: number;
    trainItems: number;
    testSessionsBeforeFiltering: number;
    testStepsRemovedUnseen: number;
    testSessionsDroppedShort: number;
    testSessions: number;
    predictions: number;
  };
}

/** The split at `cutoff`: sessions starting at or after it are test sessions, filtered per the protocol. */
export function splitAt(sessions: readonly ItemSession[], cutoff: number): SessionSplit {
  const train = sessions.filter((s) => s.start < cutoff);
  const rawTest = sessions.filter((s) => s.start >= cutoff);
  const seen = trainingItems(train);
  let removed = 0;
  let dropped = 0;
  const test: ItemSession[] = [];
  for (const s of rawTest) {
    const kept = filterSession(s, (item) => seen.has(item));
    removed += s.items.length - kept.items.length;
    if (kept.items.length < 2) dropped++;
    else test.push(kept);
  }
  return {
    train,
    test,
    cutoff,
    counts: {
      trainSessions: train.length,
      trainItems: seen.size,
      testSessionsBeforeFiltering: rawTest.length,
      testStepsRemovedUnseen: removed,
      testSessionsDroppedShort: dropped,
      testSessions: test.length,
      predictions: test.reduce((n, s) => n + s.items.length - 1, 0),
    },
  };
}

/** The protocol's split: the last `days` days (before the log's last event) are the test period. */
export function splitLastDays(sessions: readonly ItemSession[], days: number): SessionSplit {
  return splitAt(sessions, lastEventTime(sessions) - days * DAY_MS);
}

export function lastEventTime(sessions: readonly ItemSession[]): number {
  let last = -Infinity;
  for (const s of sessions) if (s.end > last) last = s.end;
  return last;
}

export function trainingItems(train: readonly ItemSession[]): Set<number> {
  const seen = new Set<number>();
  for (const s of train) for (const item of s.items) seen.add(item);
  return seen;
}

/**
 * The split with a seeded sample of its test sessions, about `maxPredictions` predictions in all (the split
 * itself when it has no more than that). Whole sessions are kept or left, so every kept prediction is asked
 * exactly as in the full split.
 */
export function samplePredictions(split: SessionSplit, maxPredictions: number, seed: number): SessionSplit {
  if (split.counts.predictions <= maxPredictions) return split;
  const rng = new Rng(seed, 0x5a3e);
  const rate = maxPredictions / split.counts.predictions;
  const test = split.test.filter(() => rng.float() < rate);
  let predictions = 0;
  for (const s of test) predictions += s.items.length - 1;
  return { ...split, test, counts: { ...split.counts, testSessions: test.length, predictions } };
}

/**
 * Keeps the steps whose item passes `keep`; a removal that makes two equal items adjacent merges them into
 * one step (the loader's rule: the item you are on is never the next item).
 */
export function filterSession(s: ItemSession, keep: (item: number) => boolean): ItemSession {
  const out: ItemSession = { subject: s.subject, start: s.start, end: s.end, items: [], times: [], types: [] };
  for (let i = 0; i < s.items.length; i++) {
    const item = s.items[i]!;
    if (!keep(item)) continue;
    const last = out.items.length - 1;
    if (last >= 0 && out.items[last] === item) {
      out.types[last] = s.types[i]!;
      continue;
    }
    out.items.push(item);
    out.times.push(s.times[i]!);
    out.types.push(s.types[i]!);
  }
  return out;
}

export interface RankingMetrics {
  'hr@20': number;
  'mrr@20': number;
  'hr@10': number;
  'mrr@10': number;
  coverage: number;
  predictions: number;
}

export interface RankerEvaluation {
  metrics: RankingMetrics;
  /** HR@k for k = 1…20 (index k − 1): the report's curve. */
  hitRateCurve: number[];
  /** Rank (1-based) of the next item per prediction, 0 when it is not in the top 20. */
  ranks: Uint8Array;
}

/** Subject → the items of its training sessions with their times, in time order. */
export function subjectHistories(train: readonly ItemSession[]): Map<string, { items: number[]; times: number[] }> {
  const out = new Map<string, { items: number[]; times: number[] }>();
  for (const s of [...train].sort((a, b) => a.start - b.start)) {
    let h = out.get(s.subject);
    if (h === undefined) out.set(s.subject, (h = { items: [], times: [] }));
    h.items.push(...s.items);
    h.times.push(...s.times);
  }
  return out;
}

/** How many of a subject's latest items a query carries. */
export const HISTORY_LENGTH = 50;

/** The subject's items from before `start`, the latest `HISTORY_LENGTH` of them. */
export function historyBefore(history: { items: number[]; times: number[] } | undefined, start: number): number[] {
  if (history === undefined) return [];
  let end = history.times.length;
  while (end > 0 && history.times[end - 1]! >= start) end--;
  return history.items.slice(Math.max(0, end - HISTORY_LENGTH), end);
}

/** Every prefix query of the test sessions, with its target: the order the metrics are computed in. */
export function* predictions(split: Pick<SessionSplit, 'train' | 'test'>): Generator<{ query: NextItemQuery; target: number }> {
  const histories = subjectHistories(split.train);
  for (const s of split.test) {
    const history = historyBefore(histories.get(s.subject), s.start);
    for (let n = 1; n < s.items.length; n++) {
      yield { query: { prefix: s.items.slice(0, n), times: s.times.slice(0, n), history }, target: s.items[n]! };
    }
  }
}

export interface AskedQueries {
  queries: Array<{ query: NextItemQuery; target: number }>;
  trainItemCount: number;
}

/**
 * A split's queries and its training item count, built once per split object and kept while it lives:
 * tuning evaluates one validation slice ~80 times, and rebuilding the histories (a sort of every training
 * session) each time was a tenth of a long run's ranking time.
 */
const askedBySplit = new WeakMap<object, AskedQueries>();

export function askedOf(split: Pick<SessionSplit, 'train' | 'test'>): AskedQueries {
  let asked = askedBySplit.get(split);
  if (asked === undefined) askedBySplit.set(split, (asked = { queries: [...predictions(split)], trainItemCount: trainingItems(split.train).size }));
  return asked;
}

/** What a ranker scored on some queries: enough to merge with another share of the same split's queries. */
export interface Tally {
  /** Hits per rank 1…20. */
  hitsAt: Float64Array;
  mrr20: number;
  mrr10: number;
  count: number;
  /** Items that appeared in a top-20 list. */
  listed: Set<number>;
  /** Rank (1-based) of the next item per query, 0 when it is not in the top 20. */
  ranks: Uint8Array;
}

/** Runs a ranker over queries. `onPrediction` ticks a progress bar. */
export function tallyRanker(ranker: NextItemRanker, queries: AskedQueries['queries'], onPrediction?: () => void): Tally {
  const hitsAt = new Float64Array(LIST_LENGTH);
  let mrr20 = 0;
  let mrr10 = 0;
  const listed = new Set<number>();
  const ranks = new Uint8Array(queries.length);
  for (let q = 0; q < queries.length; q++) {
    const { query, target } = queries[q]!;
    const list = ranker.recommend(query, LIST_LENGTH);
    for (const item of list) listed.add(item);
    const rank = list.indexOf(target) + 1;
    ranks[q] = rank;
    if (rank > 0) {
      hitsAt[rank - 1]!++;
      mrr20 += 1 / rank;
      if (rank <= 10) mrr10 += 1 / rank;
    }
    onPrediction?.();
  }
  return { hitsAt, mrr20, mrr10, count: queries.length, listed, ranks };
}

/** The metrics of a split from the tallies of its queries' shares, in query order. */
export function evaluationOf(tallies: readonly Tally[], trainItemCount: number): RankerEvaluation {
  const hitsAt = new Float64Array(LIST_LENGTH);
  let mrr20 = 0;
  let mrr10 = 0;
  let count = 0;
  const listed = new Set<number>();
  for (const t of tallies) {
    mrr20 += t.mrr20;
    mrr10 += t.mrr10;
    for (let k = 0; k < LIST_LENGTH; k++) hitsAt[k]! += t.hitsAt[k]!;
    count += t.count;
    for (const item of t.listed) listed.add(item);
  }
  const curve: number[] = [];
  let cumulative = 0;
  for (let k = 0; k < LIST_LENGTH; k++) {
    cumulative += hitsAt[k]!;
    curve.push(count === 0 ? 0 : cumulative / count);
  }
  const ranks = new Uint8Array(count);
  let at = 0;
  for (const t of tallies) {
    ranks.set(t.ranks, at);
    at += t.ranks.length;
  }
  return {
    metrics: {
      'hr@20': count === 0 ? 0 : curve[19]!,
      'mrr@20': count === 0 ? 0 : mrr20 / count,
      'hr@10': count === 0 ? 0 : curve[9]!,
      'mrr@10': count === 0 ? 0 : mrr10 / count,
      coverage: trainItemCount === 0 ? 0 : listed.size / trainItemCount,
      predictions: count,
    },
    hitRateCurve: curve,
    ranks,
  };
}

/** Runs a ranker over every prediction of the split. `onPrediction` ticks a progress bar. */
export function evaluateRanker(ranker: NextItemRanker, split: Pick<SessionSplit, 'train' | 'test'>, onPrediction?: () => void): RankerEvaluation {
  const { queries, trainItemCount } = askedOf(split);
  return evaluationOf([tallyRanker(ranker, queries, onPrediction)], trainItemCount);
}
