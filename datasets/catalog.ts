/**
 * The synthetic catalog: items in categories, with what the behavior generator needs to make learnable
 * structure: Zipf popularity, a fixed log-normal price per item, a few "related" items per item (strong
 * item-to-item transitions for next-item models), and per-item weekly seasonality and slow trend (signal
 * for demand forecasting).
 *
 * `generateCatalog` returns the public part (id, category, price) for a catalog file; the generator uses
 * the full model. Both come from the same seed, so they always agree.
 */
import { Rng, cumulativeWeights } from './random.ts';

export interface CatalogItem {
  id: string;
  category: string;
  price: number;
}

export interface CatalogOptions {
  seed: number;
  /** number of items (default 2000) */
  items?: number;
  /** number of categories (default 40) */
  categories?: number;
}

export const DEFAULT_ITEMS = 2000;
export const DEFAULT_CATEGORIES = 40;

export interface ItemModel extends CatalogItem {
  index: number;
  categoryIndex: number;
  /** base popularity (Zipf by rank within the category, times the category's popularity) */
  popularity: number;
  /** indices of related items, strongest first */
  related: number[];
  /** relative swing of demand over the week (0 = flat) */
  weeklyAmplitude: number;
  /** UTC day of week (0 = Sunday) when demand peaks */
  weeklyPeakDay: number;
  /** log change of demand per day: the slow trend */
  trendPerDay: number;
}

export interface CategoryModel {
  id: string;
  index: number;
  popularity: number;
  /** indices into `items`, most popular first */
  items: number[];
}

export interface CatalogModel {
  items: ItemModel[];
  categories: CategoryModel[];
  /** running sums of category popularity, for drawing a category */
  categoryWeights: Float64Array;
}

/** Stream keys, so the catalog's random stream never overlaps a subject's. */
export const CATALOG_STREAM = 1;

/** Relative transition strength to the related items, strongest first. */
export const RELATED_WEIGHTS = [0.4, 0.25, 0.15, 0.12, 0.08];

export function generateCatalog(options: CatalogOptions): CatalogItem[] {
  return buildCatalogModel(options).items.map(({ id, category, price }) => ({ id, category, price }));
}

export function buildCatalogModel(options: CatalogOptions): CatalogModel {
  const itemCount = options.items ?? DEFAULT_ITEMS;
  const categoryCount = options.categories ?? DEFAULT_CATEGORIES;
  if (!Number.isInteger(itemCount) || itemCount < 1) throw new RangeError('items must be a whole number ≥ 1');
  if (!Number.isInteger(categoryCount) || categoryCount < 1) throw new RangeError('categories must be a whole number ≥ 1');
  // Shoppers browse by category: an empty one would have nothing to show them.
  if (itemCount < categoryCount) throw new RangeError(`items (${itemCount}) must be at least categories (${categoryCount}): every category needs an item`);
  const rng = new Rng(options.seed, CATALOG_STREAM);

  const categories = makeCategories(rng, categoryCount);
  const categoryWeights = cumulativeWeights(categories.map((c) => c.popularity));
  const medianPriceOf = categories.map(() => rng.logNormal(25, 0.7));

  const items: ItemModel[] = [];
  for (let index = 0; index < itemCount; index++) {
    // Every category gets an item before any gets a second, so no category is empty when items ≥ categories.
    const categoryIndex = index < categoryCount ? index : rng.weightedIndex(categoryWeights);
    const category = categories[categoryIndex] as CategoryModel;
    category.items.push(index);
    items.push({
      id: itemId(index, itemCount),
      index,
      category: category.id,
      categoryIndex,
      price: roundPrice(rng.logNormal(medianPriceOf[categoryIndex] as number, 0.45)),
      popularity: 0,
      related: [],
      weeklyAmplitude: rng.between(0.1, 0.6),
      // Peaks cluster on the weekend, as in most retail, with the rest spread over the week.
      weeklyPeakDay: rng.chance(0.5) ? rng.pick([0, 6]) : rng.int(7),
      trendPerDay: (0.25 * rng.normal()) / 30,
    });
  }

  // Zipf within each category (s = 1.1) scaled by the category's own popularity.
  for (const category of categories) {
    category.items.forEach((itemIndex, rank) => {
      (items[itemIndex] as ItemModel).popularity = category.popularity / Math.pow(rank + 1, 1.1);
    });
  }
  const itemWeights = cumulativeWeights(items.map((item) => item.popularity));
  for (const item of items) item.related = pickRelated(rng, item, items, categories, itemWeights);

  return { items, categories, categoryWeights };
}

function makeCategories(rng: Rng, count: number): CategoryModel[] {
  // Category popularity is Zipf too (s = 0.8), in a shuffled order so category c000 is not always the top.
  const ranks = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
  }
  return ranks.map((rank, index) => ({
    id: `c${String(index).padStart(Math.max(3, String(count - 1).length), '0')}`,
    index,
    popularity: 1 / Math.pow(rank + 1, 0.8),
    items: [],
  }));
}

/**
 * 3–5 related items: mostly from the same category, drawn by popularity (bought-together items tend to be
 * popular ones), sometimes from anywhere (accessories of another department).
 */
function pickRelated(rng: Rng, item: ItemModel, items: ItemModel[], categories: CategoryModel[], itemWeights: Float64Array): number[] {
  const siblings = (categories[item.categoryIndex] as CategoryModel).items;
  const wanted = 3 + rng.int(3);
  const related: number[] = [];
  for (let attempt = 0; related.length < wanted && attempt < wanted * 10; attempt++) {
    const candidate =
      rng.chance(0.8) && siblings.length > 1 ? (siblings[Math.min(siblings.length - 1, rng.geometric(0.15))] as number) : rng.weightedIndex(itemWeights);
    if (candidate !== item.index && !related.includes(candidate)) related.push(candidate);
  }
  return related.length > 0 || items.length === 1 ? related : [(item.index + 1) % items.length];
}

function itemId(index: number, count: number): string {
  return `i${String(index).padStart(Math.max(5, String(count - 1).length), '0')}`;
}

/** Shop prices: two decimals, and above 5 the familiar .99 ending. */
function roundPrice(raw: number): number {
  const price = Math.max(0.5, raw);
  const cents = price < 5 ? Math.round(price * 100) : Math.round(price) * 100 - 1;
  return cents / 100;
}

/**
 * How strong an item's demand is on a given day relative to its usual level: weekly seasonality times the
 * slow trend (bounded, so long simulations do not run away).
 */
export function demandMultiplier(item: ItemModel, dayOfWeek: number, daysSinceStart: number): number {
  const weekly = 1 + item.weeklyAmplitude * Math.cos((2 * Math.PI * (dayOfWeek - item.weeklyPeakDay)) / 7);
  const trend = Math.exp(Math.max(-1.5, Math.min(1.5, item.trendPerDay * daysSinceStart)));
  return weekly * trend;
}

/**
 * Each item's weight for drawing views on one day: popularity × demand multiplier. Per category as
 * running sums, so a draw is a binary search.
 */
export function dailyItemWeights(model: CatalogModel, demand: Float64Array): Float64Array[] {
  return model.categories.map((category) =>
    cumulativeWeights(category.items.map((itemIndex) => (model.items[itemIndex] as ItemModel).popularity * (demand[itemIndex] as number))),
  );
}
