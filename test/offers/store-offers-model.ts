/**
 * A tiny offers model written straight into the registry format (models/offers/artifact.ts), for serving
 * tests: items `sku-0 … sku-(n-1)`; popularity falls with the index (sku-0 is the most popular);
 * sku-i co-occurs with sku-(i+1) (weight 1) and sku-(i+2) (weight 0.5); embeddings put items of the same
 * group of five close together (neighbours: the other items of the group).
 */
import { DEFAULT_RANKING, saveOffersModel, type OfferTables, type OffersModelCard, type RankingParams } from '../../models/offers/index.ts';
import { sparseRows } from '../../models/offers/tables.ts';
import { promote as promoteVersion, registerVersion } from '../../models/registry.ts';

export const OFFER_ITEMS = 40;

export function offerTables(n = OFFER_ITEMS, dim = 8): OfferTables {
  const items = Array.from({ length: n }, (_, i) => `sku-${i}`);
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const group = Math.floor(i / 5) % dim;
    vectors[i * dim + group] = 0.95;
    vectors[i * dim + ((group + 1) % dim)] = Math.sqrt(1 - 0.95 * 0.95);
  }
  const neighbors = sparseRows(
    items.map((_, i) => {
      const g = Math.floor(i / 5) * 5;
      return Array.from({ length: 5 }, (_, o) => g + o).filter((j) => j !== i && j < n).map((j) => [j, 0.9] as const);
    }),
  );
  const cooc = sparseRows(items.map((_, i) => [[i + 1, 1] as const, [i + 2, 0.5] as const].filter(([j]) => j < n)));
  const popularity = Float32Array.from(items.map((_, i) => 1000 / (i + 1)));
  return { items, dim, vectors, neighborCount: 4, neighbors, cooc, popularity };
}

export function offersCard(version: string, tables: OfferTables, ranking: RankingParams = DEFAULT_RANKING): OffersModelCard {
  const metrics = { 'hr@20': 0, 'mrr@20': 0, 'hr@10': 0, 'mrr@10': 0, coverage: 0, predictions: 0 };
  return {
    schemaVersion: 1,
    task: 'offers',
    version,
    createdAt: new Date().toISOString(),
    purposes: ['personalization'],
    split: {},
    ranking,
    tables: { items: tables.items.length, dim: tables.dim, neighborCount: tables.neighborCount, coocEntries: tables.cooc.columns.length },
    training: { dataFile: 'generated', dataHash: 'none', events: 0, sessions: 0, seed: 1, backend: 'none', seconds: 0, hyperparameters: {}, tuning: {} },
    metrics: { model: metrics, baselines: { pop: metrics, sknn: metrics } },
  };
}

export async function registerStoreOffersModel(root: string, version: string, options: { promote?: boolean; tables?: OfferTables; ranking?: RankingParams } = {}): Promise<string> {
  const tables = options.tables ?? offerTables();
  const dir = await registerVersion(root, 'offers', version, (d) => saveOffersModel(d, tables, offersCard(version, tables, options.ranking)));
  if (options.promote) await promoteVersion(root, 'offers', version);
  return dir;
}
