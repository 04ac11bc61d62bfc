/**
 * Fits the whole offers model on training sessions: vocabulary, popularity, co-occurrence, bought together, item2vec
 * vectors and their nearest neighbours → OfferTables; and adapts the model's ranking (models/offers/ranker.ts)
 * to the evaluation protocol's log indices.
 */
import type * as TF from '@tensorflow/tfjs';
import { OfferRanker, type RankingParams } from '../../models/offers/ranker.ts';
import type { OfferTables } from '../../models/offers/tables.ts';
import { fitItem2Vec, type Item2VecOptions } from './fit-item2vec.ts';
import type { NextItemQuery, NextItemRanker } from './protocol.ts';
import type { ItemSession } from './sessions.ts';
import { buildBoughtTogether, buildCooccurrence, buildVocabulary, nearestNeighbors, tableSequences, type BoughtOptions, type CoocOptions, type Vocabulary } from './tables.ts';

export interface OffersHyperparameters {
  item2vec: Item2VecOptions;
  cooc: CoocOptions;
  bought: BoughtOptions;
  /** Precomputed embedding neighbours per item. */
  neighbors: number;
  /** Training steps an item needs for its vector to get (and be) a neighbour. */
  neighborMinCount: number;
}

export interface FittedOffers {
  tables: OfferTables;
  vocabulary: Vocabulary;
  losses: number[];
  pairs: number;
}

export async function fitOffers(
  tf: typeof TF,
  train: readonly ItemSession[],
  itemIds: readonly string[],
  hyper: OffersHyperparameters,
  seed: number,
  onEpoch?: (epoch: number, loss: number) => void,
): Promise<FittedOffers> {
  const vocabulary = buildVocabulary(train, itemIds.length);
  const sequences = tableSequences(train, vocabulary);
  const fitted = await fitItem2Vec(tf, sequences, vocabulary.counts, hyper.item2vec, seed, onEpoch);
  const eligible = Int32Array.from(vocabulary.counts.keys()).filter((i) => vocabulary.counts[i]! >= hyper.neighborMinCount);
  const neighbors = nearestNeighbors(tf, fitted.vectors, hyper.item2vec.dim, hyper.neighbors, eligible);
  const tables: OfferTables = {
    items: Array.from(vocabulary.logIndex, (i) => itemIds[i]!),
    dim: hyper.item2vec.dim,
    vectors: fitted.vectors,
    neighborCount: hyper.neighbors,
    neighbors,
    cooc: buildCooccurrence(sequences, vocabulary.counts, hyper.cooc),
    bought: buildBoughtTogether(train, vocabulary, hyper.bought),
    popularity: vocabulary.counts,
  };
  return { tables, vocabulary, losses: fitted.losses, pairs: fitted.pairs };
}

/** The model's ranking behind the protocol's interface (log indices in and out). */
export function modelRanker(fitted: Pick<FittedOffers, 'tables' | 'vocabulary'>, params: RankingParams, useHistory = true): NextItemRanker {
  const ranker = new OfferRanker(fitted.tables, params);
  const { tableIndex, logIndex } = fitted.vocabulary;
  const toTable = (items: readonly number[]): number[] => items.map((i) => tableIndex[i] ?? -1);
  return {
    recommend(query: NextItemQuery, k: number): number[] {
      const ranked = ranker.rank({ session: toTable(query.prefix), history: useHistory ? toTable(query.history) : [] }, k);
      return ranked.items.map((t) => logIndex[t]!);
    },
  };
}
