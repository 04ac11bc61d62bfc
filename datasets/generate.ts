/**
 * A seeded synthetic behavior log: the embedded default for demos and tests (DESIGN.md, datasets/).
 *
 * Deterministic: the same options give the same events, byte for byte, on any machine. Every subject owns
 * an independent random stream, so adding subjects never changes what the first ones did.
 *
 * The structure is what later models are meant to find, so tests can hold them to it:
 * - subjects have a latent purchase propensity (it raises their cart and checkout rates and visits) and
 *   1–3 preferred categories;
 * - sessions arrive as a Poisson process with weekly (busier weekends) and daily (evening peak) seasonality;
 * - within a session, views follow strong item-to-item transitions (each item has a few related items),
 *   otherwise popularity within mostly preferred categories; searches now and then;
 * - view → cart_add ≈ 10 %, cart_add → purchase ≈ 35 % (more for high-propensity subjects), some
 *   cart_removes; prices fixed per item, quantity mostly 1;
 * - item demand swings over the week and drifts slowly (see catalog.ts), so forecasts have signal.
 */
import type { CanonicalEvent } from './canonical-event.ts';
import { buildCatalogModel, dailyItemWeights, demandMultiplier, RELATED_WEIGHTS, type CatalogModel, type CategoryModel, type ItemModel } from './catalog.ts';
import { Rng, cumulativeWeights } from './random.ts';

export interface GenerateOptions {
  subjects: number;
  days: number;
  seed: number;
  /** end of the simulated period, epoch ms or Date (exclusive); default: now, rounded down to the minute */
  end?: number | Date;
  /** catalog size (default 2000) */
  items?: number;
  /** number of categories (default 40) */
  categories?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Just over the engine's 30-minute sessionization gap. */
const SESSION_GAP = 31 * MINUTE;

/** Stream keys: each subject's stream is `(seed, SUBJECT_STREAM, index)`; the catalog has its own. */
const SUBJECT_STREAM = 2;

/** Relative session intensity by UTC hour: quiet nights, a lunchtime bump, an evening peak. */
const HOUR_WEIGHTS = normalized([
  0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0, 0.95, 0.9, 0.9, 0.95, 1.05, 1.3, 1.6, 1.8, 1.7, 1.2, 0.6,
]);
/** Relative session intensity by UTC day of week, Sunday first: weekends are busier. */
const WEEKDAY_WEIGHTS = normalized([1.3, 0.9, 0.9, 0.95, 1.0, 1.05, 1.35]);

/** Funnel parameters. Chosen so view→cart_add ≈ 10 % and cart_add→purchase ≈ 35 % overall. */
const FUNNEL = {
  meanViewsPerSession: 6,
  maxViewsPerSession: 40,
  baseCartRate: 0.1,
  /** logit of the checkout probability for a subject of average propensity */
  checkoutLogit: -1.0,
  /** share of cart adds taken out again before the session ends */
  removeRate: 0.1,
  favoriteRate: 0.03,
  searchAtStartRate: 0.25,
  searchMidSessionRate: 0.05,
  /** next view: a related item of the current one / same category / a new category */
  followRelatedRate: 0.55,
  sameCategoryRate: 0.3,
  /** first view of a session: an item the subject saw recently */
  revisitRate: 0.2,
  /** share of views drawn from the subject's preferred categories */
  preferredCategoryRate: 0.8,
} as const;

export interface GenerationWindow {
  /** first instant of the simulated period, epoch ms */
  start: number;
  /** end of the period (exclusive), epoch ms */
  end: number;
}

/** The period `generateBehavior` covers for these options. */
export function generationWindow(options: Pick<GenerateOptions, 'days' | 'end'>): GenerationWindow {
  const end = options.end === undefined ? Math.floor(Date.now() / MINUTE) * MINUTE : Number(options.end);
  return { start: end - options.days * DAY, end };
}

/** Synthetic behavior events, in time order, ids `g-<seed>-<n>`. */
export function* generateBehavior(options: GenerateOptions): Generator<CanonicalEvent> {
  validate(options);
  const { start, end } = generationWindow(options);
  const catalog = buildCatalogModel({ seed: options.seed, items: options.items, categories: options.categories });
  const subjects = Array.from({ length: options.subjects }, (_, index) => createSubject(options.seed, index, options.subjects, catalog));

  let pending: CanonicalEvent[] = [];
  let serial = 0;
  for (let day = 0; day < options.days; day++) {
    const dayStart = start + day * DAY;
    const world = worldOfDay(catalog, dayStart, day);
    for (const subject of subjects) {
      const sessions = subject.rng.poisson(subject.sessionsPerDay * world.intensity);
      const starts: number[] = [];
      for (let s = 0; s < sessions; s++) starts.push(dayStart + subject.rng.weightedIndex(world.hourWeights) * HOUR + subject.rng.int(HOUR));
      starts.sort((a, b) => a - b);
      for (const sessionStart of starts) {
        // A person has one session at a time: a session drawn too close to the previous one waits for the
        // engine's 30-minute inactivity gap, so sessionizing by that gap recovers these session ids.
        const lastTs = simulateSession(subject, Math.max(sessionStart, subject.nextSessionFrom), world, pending);
        subject.nextSessionFrom = lastTs + SESSION_GAP;
      }
    }
    // Sessions that start later cannot have events before the next day's start: those are final.
    pending.sort(byTime);
    const horizon = Math.min(dayStart + DAY, end);
    let ready = 0;
    while (ready < pending.length && (pending[ready] as CanonicalEvent).ts < horizon) ready++;
    for (let i = 0; i < ready; i++) {
      const event = pending[i] as CanonicalEvent;
      event.id = `g-${options.seed}-${serial++}`;
      yield event;
    }
    pending = pending.slice(ready);
  }
  // What is left ran past the end of the period: like a log exported at `end`, it is cut off.
}

function validate(options: GenerateOptions): void {
  const wholeAtLeast = (value: unknown, min: number) => Number.isInteger(value) && (value as number) >= min;
  if (!wholeAtLeast(options.subjects, 1)) throw new RangeError('subjects must be a whole number ≥ 1');
  if (!wholeAtLeast(options.days, 1)) throw new RangeError('days must be a whole number ≥ 1');
  if (!wholeAtLeast(options.seed, 0) || options.seed > 0xffffffff) throw new RangeError('seed must be a whole number from 0 to 4294967295');
  if (options.end !== undefined && !Number.isFinite(Number(options.end))) throw new RangeError('end must be a valid time');
}

function normalized(weights: number[]): number[] {
  const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
  return weights.map((w) => w / mean);
}

function byTime(a: CanonicalEvent, b: CanonicalEvent): number {
  return a.ts - b.ts;
}

// -----------------------------------------------------------------------------------------------------
// One simulated day: how busy each hour is, and how popular each item is today.

interface World {
  catalog: CatalogModel;
  /** mean session intensity of this day relative to an average day */
  intensity: number;
  /** running sums of the 24 hour slots' intensity */
  hourWeights: Float64Array;
  /** per item, today's demand relative to its usual level (weekly seasonality × trend) */
  demand: Float64Array;
  /** per category, running sums of item weights today */
  itemWeights: Float64Array[];
}

function worldOfDay(catalog: CatalogModel, dayStart: number, daysSinceStart: number): World {
  const slots = Array.from({ length: 24 }, (_, h) => {
    const at = new Date(dayStart + h * HOUR);
    return (HOUR_WEIGHTS[at.getUTCHours()] as number) * (WEEKDAY_WEIGHTS[at.getUTCDay()] as number);
  });
  // Item demand follows the calendar day in which most of this 24-hour window falls.
  const midday = new Date(dayStart + DAY / 2).getUTCDay();
  const demand = Float64Array.from(catalog.items, (item) => demandMultiplier(item, midday, daysSinceStart));
  // Items rise and fall against their category, not the market as a whole: views are drawn within a
  // category ∝ popularity × demand, so scaling each category's multipliers to average 1 over its views
  // keeps the funnel rates level however long the simulation runs.
  for (const category of catalog.categories) {
    let viewWeight = 0;
    let cartWeight = 0;
    for (const i of category.items) {
      const d = demand[i] as number;
      const popularity = (catalog.items[i] as ItemModel).popularity;
      viewWeight += popularity * d;
      cartWeight += popularity * d * d;
    }
    for (const i of category.items) demand[i] = ((demand[i] as number) * viewWeight) / cartWeight;
  }
  return {
    catalog,
    intensity: slots.reduce((a, b) => a + b, 0) / 24,
    hourWeights: cumulativeWeights(slots),
    demand,
    itemWeights: dailyItemWeights(catalog, demand),
  };
}

// -----------------------------------------------------------------------------------------------------
// Subjects

interface Subject {
  id: string;
  rng: Rng;
  sessionsPerDay: number;
  cartRate: number;
  checkoutRate: number;
  preferredCategories: number[];
  preferredWeights: Float64Array;
  /** items seen lately, most recent last */
  recentItems: number[];
  sessionCount: number;
  /** earliest start of the subject's next session */
  nextSessionFrom: number;
}

function createSubject(seed: number, index: number, total: number, catalog: CatalogModel): Subject {
  const rng = new Rng(seed, SUBJECT_STREAM, index);
  const propensity = rng.normal(); // latent: standard normal, shared by every rate below
  const preferredCount = rng.chance(0.4) ? 1 : rng.chance(0.58) ? 2 : 3;
  const preferredCategories: number[] = [];
  for (let attempt = 0; preferredCategories.length < preferredCount && attempt < 50; attempt++) {
    const category = rng.weightedIndex(catalog.categoryWeights);
    if (!preferredCategories.includes(category)) preferredCategories.push(category);
  }
  return {
    id: `u${String(index).padStart(Math.max(6, String(total - 1).length), '0')}`,
    rng,
    sessionsPerDay: rng.logNormal(0.22, 0.6) * Math.exp(0.2 * propensity),
    cartRate: Math.min(0.3, Math.max(0.02, FUNNEL.baseCartRate * Math.exp(0.3 * propensity - 0.045))),
    checkoutRate: 1 / (1 + Math.exp(-(FUNNEL.checkoutLogit + 0.9 * propensity))),
    preferredCategories,
    preferredWeights: cumulativeWeights([0.6, 0.3, 0.1].slice(0, preferredCategories.length)),
    recentItems: [],
    sessionCount: 0,
    nextSessionFrom: 0,
  };
}

function remember(subject: Subject, item: number): void {
  subject.recentItems.push(item);
  if (subject.recentItems.length > 8) subject.recentItems.shift();
}

// -----------------------------------------------------------------------------------------------------
// Sessions

interface CartLine {
  item: ItemModel;
  quantity: number;
  /** view step after which the line is removed again, or -1 */
  removeAfterStep: number;
}

/** Appends one session's events to `out`; returns the time of its last event. */
function simulateSession(subject: Subject, startTs: number, world: World, out: CanonicalEvent[]): number {
  const { rng } = subject;
  const { items } = world.catalog;
  const session = `${subject.id}-${subject.sessionCount++}`;
  let ts = startTs;
  const emit = (event: Omit<CanonicalEvent, 'id' | 'ts' | 'subject' | 'session'>) => {
    out.push({ id: '', ts, subject: subject.id, session, ...event });
  };
  const pause = () => {
    // Think time between actions: log-normal around 35 s, capped below the engine's 30-minute session gap.
    ts += Math.round(Math.min(20 * MINUTE, Math.max(2000, rng.logNormal(35_000, 0.9))));
  };

  let current: ItemModel;
  if (subject.recentItems.length > 0 && rng.chance(FUNNEL.revisitRate)) {
    current = items[rng.pick(subject.recentItems)] as ItemModel;
  } else {
    const category = chooseCategory(subject, world);
    if (rng.chance(FUNNEL.searchAtStartRate)) {
      emit({ type: 'search', category: category.id });
      pause();
    }
    current = popularItemIn(category, subject, world);
  }

  const views = Math.min(FUNNEL.maxViewsPerSession, 1 + rng.geometric(1 / (FUNNEL.meanViewsPerSession + 1)));
  const cart: CartLine[] = [];
  for (let step = 0; step < views; step++) {
    emit({ type: 'view', item: current.id, category: current.category, price: current.price });
    remember(subject, current.index);
    if (rng.chance(FUNNEL.favoriteRate)) {
      pause();
      emit({ type: 'favorite', item: current.id, category: current.category, price: current.price });
    }
    // Demand moves conversion too, not only which items get looked at: drawing views within a category
    // only shifts an item's share against its siblings, while this makes its sales rise and fall.
    if (rng.chance(subject.cartRate * (world.demand[current.index] as number))) {
      pause();
      const quantity = rng.chance(0.85) ? 1 : rng.chance(0.67) ? 2 : 3 + rng.int(4);
      emit({ type: 'cart_add', item: current.id, category: current.category, price: current.price, quantity });
      const removeAfterStep = rng.chance(FUNNEL.removeRate) ? step + 1 + rng.int(3) : -1;
      cart.push({ item: current, quantity, removeAfterStep });
    }
    for (let i = cart.length - 1; i >= 0; i--) {
      const line = cart[i] as CartLine;
      if (line.removeAfterStep !== -1 && line.removeAfterStep <= step) {
        pause();
        emit({ type: 'cart_remove', item: line.item.id, category: line.item.category, price: line.item.price, quantity: line.quantity });
        cart.splice(i, 1);
      }
    }
    if (step + 1 < views) {
      pause();
      if (rng.chance(FUNNEL.searchMidSessionRate)) {
        // A search mid-session: the shopper looks for something else and lands on a popular result.
        const category = chooseCategory(subject, world);
        emit({ type: 'search', category: category.id });
        pause();
        current = popularItemIn(category, subject, world);
      } else {
        current = nextItem(current, subject, world);
      }
    }
  }

  // Removals planned past the last view happen before checkout.
  for (let i = cart.length - 1; i >= 0; i--) {
    const line = cart[i] as CartLine;
    if (line.removeAfterStep !== -1) {
      pause();
      emit({ type: 'cart_remove', item: line.item.id, category: line.item.category, price: line.item.price, quantity: line.quantity });
      cart.splice(i, 1);
    }
  }
  if (cart.length > 0 && rng.chance(subject.checkoutRate)) {
    pause();
    emit({ type: 'checkout' });
    for (const line of cart) {
      ts += 1000 + rng.int(4000);
      emit({ type: 'purchase', item: line.item.id, category: line.item.category, price: line.item.price, quantity: line.quantity });
      remember(subject, line.item.index);
    }
  }
  return ts;
}

function chooseCategory(subject: Subject, world: World): CategoryModel {
  const { rng } = subject;
  const index = rng.chance(FUNNEL.preferredCategoryRate)
    ? (subject.preferredCategories[rng.weightedIndex(subject.preferredWeights)] as number)
    : rng.weightedIndex(world.catalog.categoryWeights);
  return world.catalog.categories[index] as CategoryModel;
}

function popularItemIn(category: CategoryModel, subject: Subject, world: World): ItemModel {
  const weights = world.itemWeights[category.index] as Float64Array;
  return world.catalog.items[category.items[subject.rng.weightedIndex(weights)] as number] as ItemModel;
}

const RELATED_CUMULATIVE = cumulativeWeights(RELATED_WEIGHTS);

function nextItem(current: ItemModel, subject: Subject, world: World): ItemModel {
  const { rng } = subject;
  const roll = rng.float();
  if (roll < FUNNEL.followRelatedRate && current.related.length > 0) {
    const pick = rng.weightedIndex(RELATED_CUMULATIVE.subarray(0, current.related.length));
    return world.catalog.items[current.related[pick] as number] as ItemModel;
  }
  if (roll < FUNNEL.followRelatedRate + FUNNEL.sameCategoryRate) {
    return popularItemIn(world.catalog.categories[current.categoryIndex] as CategoryModel, subject, world);
  }
  return popularItemIn(chooseCategory(subject, world), subject, world);
}
