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

/**
 * A split's queries, compactly: each test session once (its items, times and the subject's history before
 * it), and per query its session and prefix length. A query's arrays are sliced when it is asked, so the
 * queries cost O(steps), not O(steps²) (a 5,000-step session would hold 12.5M prefix entries), and they
 * cross to another thread as a few arrays.
 */
export interface AskedQueries {
  sessions: Array<{ items: readonly number[]; times: readonly number[]; history: readonly number[] }>;
  /** Query q asks session `session[q]` after its first `length[q]` steps. */
  session: Uint32Array;
  length: Uint32Array;
  trainItemCount: number;
}

/**
 * Built once per split object and kept while it lives: tuning evaluates one validation slice ~80 times,
 * and rebuilding the histories (a sort of every training session) each time was a tenth of a long run's
 * ranking time.
 */
const askedBySplit = new WeakMap<object, AskedQueries>();

export function askedOf(split: Pick<SessionSplit, 'train' | 'test'>): AskedQueries {
  let asked = askedBySplit.get(split);
  if (asked !== undefined) return asked;
  const histories = subjectHistories(split.train);
  let count = 0;
  for (const s of split.test) count += Math.max(0, s.items.length - 1);
  const session = new Uint32Array(count);
  const length = new Uint32Array(count);
  let q = 0;
  const sessions = split.test.map((s, i) => {
    for (let n = 1; n < s.items.length; n++, q++) {
      session[q] = i;
      length[q] = n;
    }
    return { items: s.items, times: s.times, history: historyBefore(histories.get(s.subject), s.start) };
  });
  askedBySplit.set(split, (asked = { sessions, session, length, trainItemCount: trainingItems(split.train).size }));
  return asked;
}

/** Query q of a split and its target (the step after the prefix). */
export function queryAt(asked: AskedQueries, q: number): { query: NextItemQuery; target: number } {
  const s = asked.sessions[asked.session[q]!]!;
  const n = asked.length[q]!;
  return { query: { prefix: s.items.slice(0, n), times: s.times.slice(0, n), history: s.history }, target: s.items[n]! };
}

/** Every prefix query of the test sessions, with its target: the order the metrics are computed in. */
export function* predictions(split: Pick<SessionSplit, 'train' | 'test'>): Generator<{ query: NextItemQuery; target: number }> {
  const asked = askedOf(split);
  for (let q = 0; q < asked.session.length; q++) yield queryAt(asked, q);
}

/** What a ranker scored on a range of a split's queries: enough to merge with the other ranges' tallies. */
export interface Tally {
  /** Hits per rank 1…20. */
  hitsAt: Float64Array;
  /** Items that appeared in a top-20 list. */
  listed: Set<number>;
  /** Rank (1-based) of the next item per query, 0 when it is not in the top 20. */
  ranks: Uint8Array;
}

/** Runs a ranker over queries [from, to) of a split. `onPrediction` ticks a progress bar. */
export function tallyRanker(ranker: NextItemRanker, asked: AskedQueries, from = 0, to = asked.session.length, onPrediction?: () => void): Tally {
  const hitsAt = new Float64Array(LIST_LENGTH);
  const listed = new Set<number>();
  const ranks = new Uint8Array(Math.max(0, to - from));
  for (let q = from; q < to; q++) {
    const { query, target } = queryAt(asked, q);
    const list = ranker.recommend(query, LIST_LENGTH);
    for (const item of list) listed.add(item);
    const rank = list.indexOf(target) + 1;
    ranks[q - from] = rank;
    if (rank > 0) hitsAt[rank - 1]!++;
    onPrediction?.();
  }
  return { hitsAt, listed, ranks };
}

/** The metrics of a split from the tallies of its queries' shares, in query order. */
export function evaluationOf(tallies: readonly Tally[], trainItemCount: number): RankerEvaluation {
  const hitsAt = new Float64Array(LIST_LENGTH);
  let count = 0;
  const listed = new Set<number>();
  for (const t of tallies) {
    for (let k = 0; k < LIST_LENGTH; k++) hitsAt[k]! += t.hitsAt[k]!;
    count += t.ranks.length;
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
  // Reciprocal ranks summed in query order, however the queries were shared: the same sums, bit for bit,
  // as one pass over the split.
  let mrr20 = 0;
  let mrr10 = 0;
  for (const rank of ranks) {
    if (rank === 0) continue;
    mrr20 += 1 / rank;
    if (rank <= 10) mrr10 += 1 / rank;
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
  const asked = askedOf(split);
  return evaluationOf([tallyRanker(ranker, asked, 0, asked.session.length, onPrediction)], asked.trainItemCount);
}
