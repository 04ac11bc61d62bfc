/** The offers model: tables, the shared ranking, the registry files. Serving imports from here. */
export { OfferRanker, DEFAULT_RANKING, type RankingParams, type RankingWeights, type RankingContext, type RankedOffers, type OfferReason } from './ranker.ts';
export { itemIndex, checkTables, type OfferTables, type SparseRows } from './tables.ts';
export { loadOffersModel, loadServingOffersModel, saveOffersModel, type LoadedOffersModel } from './artifact.ts';
export { parseOffersCard, OFFERS_CARD_SCHEMA_VERSION, type OffersModelCard } from './card.ts';
