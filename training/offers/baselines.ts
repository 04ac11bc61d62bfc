/**
 * The two baselines the issue fixes, computed in the same run as the model on the same split:
 *
 * - POP: the most popular training items (steps in training sessions), the same list for every prefix.
 * - SKNN: session-based kNN as in session-rec's ContextKNN (Jannach & Ludewig 2017): the prefix's distinct
 *   items as a set; candidate neighbours = training sessions sharing at least one item with it, the 500
 *   most recent of them (by last event); similarity = cosine between the binary item sets
 *   (|A∩B| / √(|A|·|B|)); the 100 most similar are the neighbours; every item of a neighbour scores the
 *   neighbour's similarity, summed over neighbours.
 *
 * Ties break the same way as the model's ranking (models/offers/top-k.ts): training popularity, then index.
 * Like the model, neither baseline lists the item being viewed (the prefix's last item): after repeats are
 * collapsed it can never be the next step, so listing it would only cost the baselines a slot.
 */
import { topK } from '../../models/offers/top-k.ts';
import type { NextItemQuery, NextItemRanker } from './protocol.ts';
import type { ItemSession } from './sessions.ts';

/** Steps per item in the training sessions, indexed by log item index. */
export function itemCounts(train: readonly ItemSession[], itemCount: number): Float64Array {
  const counts = new Float64Array(itemCount);
  for (const s of train) for (const item of s.items) counts[item]!++;
  return counts;
}

export function popRanker(train: readonly ItemSession[], itemCount: number): NextItemRanker {
  const counts = itemCounts(train, itemCount);
  const seen: number[] = [];
  for (let i = 0; i < itemCount; i++) if (counts[i]! > 0) seen.push(i);
  const cache = new Map<number, number[]>();
  return {
    recommend(query: NextItemQuery, k: number): number[] {
      let list = cache.get(k);
      if (list === undefined) cache.set(k, (list = topK(seen, (i) => counts[i]!, k + 1, counts).items));
      const viewing = query.prefix[query.prefix.length - 1];
      return list.filter((i) => i !== viewing).slice(0, k);
    },
  };
}

export interface SknnOptions {
  /** Candidate sessions kept (the most recent sharing an item). */
  sampleSize: number;
  /** Neighbours that vote. */
  neighbors: number;
}

export const SKNN_DEFAULTS: SknnOptions = { sampleSize: 500, neighbors: 100 };

export function sknnRanker(train: readonly ItemSession[], itemCount: number, options: SknnOptions = SKNN_DEFAULTS): NextItemRanker {
  const counts = itemCounts(train, itemCount);
  // Distinct items per training session, and for each item the sessions holding it, most recent first.
  const sets = train.map((s) => [...new Set(s.items)]);
  const order = train.map((_, i) => i).sort((a, b) => train[b]!.end - train[a]!.end || b - a);
  const recency = new Int32Array(train.length);
  order.forEach((session, rank) => (recency[session] = rank));
  const sessionsOf: number[][] = Array.from({ length: itemCount }, () => []);
  for (const session of order) for (const item of sets[session]!) sessionsOf[item]!.push(session);

  return {
    recommend(query: NextItemQuery, k: number): number[] {
      const current = new Set(query.prefix);
      // The most recent candidate sessions: merge the items' recency-ordered lists, keep the first sampleSize.
      const candidates = new Set<number>();
      for (const item of current) for (const session of sessionsOf[item] ?? []) candidates.add(session);
      const sample = [...candidates].sort((a, b) => recency[a]! - recency[b]!).slice(0, options.sampleSize);
      const scored = sample.map((session) => {
        const set = sets[session]!;
        let common = 0;
        for (const item of set) if (current.has(item)) common++;
        return { session, similarity: common / Math.sqrt(current.size * set.length) };
      });
      // Most similar first; equal similarity: the more recent session.
      scored.sort((a, b) => b.similarity - a.similarity || recency[a.session]! - recency[b.session]!);
      const scores = new Map<number, number>();
      for (const { session, similarity } of scored.slice(0, options.neighbors)) {
        for (const item of sets[session]!) scores.set(item, (scores.get(item) ?? 0) + similarity);
      }
      scores.delete(query.prefix[query.prefix.length - 1]!);
      return topK([...scores.keys()], (i) => scores.get(i)!, k, counts).items;
    },
  };
}
