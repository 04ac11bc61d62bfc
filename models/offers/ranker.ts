/**
 * The offers ranking: one implementation, evaluated by `iob train offers` and run by serving. TypeScript
 * over the model's typed arrays (tables.ts), the similarity's dot products in a SIMD kernel; no TF.js.
 *
 * For a session (its items, newest last) and the subject's earlier items:
 *
 *   score(j) = w.cooc       · Σ_i r_i · C(i, j)            co-occurrence (co-view) with the context items
 *            + w.similarity · max(0, cos(q, v_j))          embedding similarity to the context vector
 *            + w.session    · Σ_{i: item i = j} r_i        items of this session, seen again
 *            + w.history    · Σ_{h: item h = j} r_h        items the subject saw in earlier sessions
 *            + w.popularity · log(1 + pop_j) / log(1 + max pop)
 *            + w.bought     · Σ_i r_i · B(i, j)            bought together (purchase/cart co-occurrence)
 *
 * with r_i = sessionDecay^(age of step i in the session, newest = 0) for session items and
 * historyContext · historyDecay^(age) for history items, and q = Σ r_i v_i. Candidates: the context items'
 * co-occurring, bought-together and precomputed embedding neighbours, the session and history items, and
 * the most popular items as a fallback. The item being viewed (the session's newest) and `exclude` are never
 * offered. Each offer carries the reason that contributed most to its score.
 *
 * Serving adds optional inputs (evaluation passes none, so its numbers are unchanged):
 * `categoryItems`, lists of items trending in the session's categories (from the catalog), which join the candidates
 * and add `categoryWeight · log(1 + pop_j) / log(1 + max pop)` (reason `trending_in_category`); `allow`,
 * the business filter (stock, eligibility, already purchased), applied to candidates before top-k; `value`,
 * a business value per item in [0, 1] (from the catalog's margin and price), which adds
 * `valueWeight · value_j` to the score but never names the reason; and `intentLift`, the visitor's purchase
 * intent relative to the average visitor's, which multiplies the two terms that only pay off on a purchase
 * (bought-together complements and business value): a purchase-ready visitor is shown what completes the
 * basket and what earns, a browsing one what resembles what they look at. Absent, it is 1.
 *
 * Cost: the similarity is the only term that needs a dot product per candidate. Every other term is a
 * lookup, and cos ≤ 1 bounds it, so candidates whose other terms plus the largest possible similarity
 * cannot reach the k-th best lower bound are dropped before their dot product (exact: the top-k is the one
 * scoring every candidate would give). The remaining dot products run in a WebAssembly SIMD kernel
 * (similarity.wat) that holds the item vectors in its memory, in float32 (products and sums; the plain
 * loop this replaces summed float32 products in float64 and took 2–3× as long, the largest part of a
 * personalized request's ranking).
 *
 * Memory, not arithmetic, is what a request costs once other work has evicted the caches (a server's case:
 * ~3× the warm time on 100k items). So each item's popularity and request slot share one cache line, scores
 * are kept by slot, the request's category items sit in a small hash table instead of a mark per item, and
 * lists ordered by popularity (the most popular items, a category's trending items) and neighbour rows whose
 * most popular item cannot reach the threshold are not read past that point.
 */
import { instantiateWasm, Layout, MAX_KERNEL_BYTES, type WasmMemory } from '../wasm-kernels.ts';
import type { OfferTables, SparseRows } from './tables.ts';
import { topK } from './top-k.ts';

/** similarity.wat */
interface SimilarityKernel {
  memory: WasmMemory;
  dots(query: number, vectors: number, dim: number, items: number, count: number, out: number): void;
}

/** Candidates whose dot products one kernel call computes (a fixed scratch, whatever the candidate count). */
const DOT_BATCH = 512;

export interface RankingWeights {
  cooc: number;
  similarity: number;
  session: number;
  history: number;
  popularity: number;
  /** Bought-together rows (absent in versions trained before them: 0). */
  bought?: number;
}

export interface RankingParams {
  weights: RankingWeights;
  sessionDecay: number;
  historyDecay: number;
  /** Scale of history items in the context (co-occurrence and vector), relative to session items. */
  historyContext: number;
  /** Newest session / history items that seed candidates and the context. */
  sessionSeeds: number;
  historySeeds: number;
  /** Most popular items always among the candidates. */
  popularCandidates: number;
}

export const DEFAULT_RANKING: RankingParams = {
  weights: { cooc: 1, similarity: 0.5, session: 0.5, history: 0.5, popularity: 0.05, bought: 0 },
  sessionDecay: 0.7,
  historyDecay: 0.9,
  historyContext: 0.3,
  sessionSeeds: 10,
  historySeeds: 20,
  popularCandidates: 50,
};

export type OfferReason = 'viewed_together' | 'similar_to_viewed' | 'viewed_before' | 'popular' | 'trending_in_category' | 'bought_together';
/** The reason each score component names, by component index (value, the last, never names one). */
const REASONS: readonly OfferReason[] = ['viewed_together', 'similar_to_viewed', 'viewed_before', 'viewed_before', 'popular', 'trending_in_category', 'bought_together'];
const COMPONENTS = 8;
const SIMILARITY = 1;

export interface RankingContext {
  /** Table indices of the session's items, oldest first; the last is the item being viewed. */
  session: readonly number[];
  /** Table indices of the subject's earlier items, oldest first. */
  history?: readonly number[];
  /** Table indices never to offer. */
  exclude?: ReadonlySet<number>;
  /**
   * Serving: items trending in the session's categories (extra candidates, scored with categoryWeight), each
   * list most popular first: the ranker stops reading a list at the first item too unpopular to reach the top k.
   */
  categoryItems?: ReadonlyArray<ArrayLike<number>>;
  /** ≥ 0 (serving derives it from the card's popularity weight): the pruning bounds assume it. */
  categoryWeight?: number;
  /** Serving: business value per item (table index) in [0, 1] (the pruning bounds rely on it), added with valueWeight. */
  value?: ArrayLike<number>;
  valueWeight?: number;
  /** Serving: purchase intent relative to the average visitor (≥ 0); scales bought-together and value. */
  intentLift?: number;
  /** Serving: business filter; a candidate it rejects is never offered. */
  allow?: (item: number) => boolean;
}

export interface RankedOffers {
  items: number[];
  scores: number[];
  reasons: OfferReason[];
}

const EMPTY_ROWS: SparseRows = { offsets: new Uint32Array(1), columns: new Uint32Array(0), weights: new Float32Array(0) };

/** A ranker over one model's tables. Holds scratch buffers: one instance per thread of work (not re-entrant). */
export class OfferRanker {
  private readonly n: number;
  /**
   * Per item, interleaved in one buffer so that one cache line holds both: its normalized popularity
   * (`popNorm[2j]`) and its slot in this request (`slotOf[2j + 1]`, −1 when not a candidate).
   */
  private readonly popNorm: Float32Array;
  private readonly slotOf: Int32Array;
  private readonly popular: number[];
  private readonly bought: SparseRows;
  /**
   * Whether a bought-together term can score at all (a weight and rows): with neither it nor a business
   * value, `intentLift` multiplies nothing and a caller need not compute it.
   */
  readonly weighsBoughtTogether: boolean;
  /** The largest vector norm: cos(q, v_j) · |v_j| ≤ this bounds the similarity term. */
  private readonly maxNorm: number;
  /** The context vector, in the kernel's memory. */
  private readonly query: Float32Array;
  private readonly kernel: SimilarityKernel;
  /** Byte offsets in the kernel's memory. */
  private readonly queryAt: number;
  private readonly vectorsAt: number;
  private readonly batchItems: Int32Array;
  private readonly batchItemsAt: number;
  private readonly batchDots: Float32Array;
  private readonly batchDotsAt: number;
  // Per-request scratch. Candidates get consecutive slots, so their accumulators sit in a few dense arrays
  // instead of scattered across item-indexed ones (the item-indexed `slotOf` is the only random write).
  private count = 0;
  private slotItem = new Int32Array(0);
  // Accumulators in float32, as the item-indexed ones were: the same sums, so evaluation keeps its numbers.
  private slotCooc = new Float32Array(0);
  private slotBought = new Float32Array(0);
  private slotSession = new Float32Array(0);
  private slotHistory = new Float32Array(0);
  private slotCategory = new Uint8Array(0);
  /** The score without the similarity term (pass 1), and the similarity term (pass 2). */
  private slotLow = new Float64Array(0);
  private slotSimilarity = new Float64Array(0);
  /** Survivors' full scores (what top-k reads). */
  private slotTotal = new Float64Array(0);
  /** Pass 1: the slots that may be offered; pass 2 rewrites it in place with the items that got a full score. */
  private survivors = new Int32Array(0);
  private survivorCount = 0;
  /** The k best lower bounds seen so far (descending), for pruning. */
  private bounds = new Float64Array(16);
  private readonly parts = new Float64Array(COMPONENTS);
  /** This request's weight per component, and its business values. */
  private readonly weights = new Float64Array(COMPONENTS);
  private value: ArrayLike<number> | undefined;
  private readonly scoreOf = (j: number): number => this.slotTotal[this.slotOf[2 * j + 1]!]!;
  // This request's pass-1 state (see scoreSlot).
  private k = 0;
  /** the most the similarity term can add in this request */
  private simBound = 0;
  private held = 0;
  private viewing = -1;
  private exclude: ReadonlySet<number> | undefined;
  private allow: ((item: number) => boolean) | undefined;
  /** Bounds of an item that is no candidate yet: reachPop · popNorm + reachBase (see rank). */
  private reachPop = 0;
  private reachBase = 0;
  /** Per item, the largest normalized popularity among its embedding neighbours (a row that cannot reach is skipped). */
  private readonly neighborPopMax: Float32Array;
  /**
   * This request's category items: open addressing, −1 empty, a quarter full at most. Small enough to stay
   * in the nearest cache, where a mark per item would cost a cache miss per list item.
   */
  private categoryTable = new Int32Array(256).fill(-1);
  private categoryShift = 24;
  private categoryCount = 0;
  /** Context items whose embedding neighbours are candidates. */
  private readonly seeded: Int32Array;
  private seededCount = 0;

  /** The model's tables, the vectors in the kernel's memory (callers that keep the model keep these). */
  readonly tables: OfferTables;

  constructor(
    tables: OfferTables,
    readonly params: RankingParams,
  ) {
    const n = (this.n = tables.items.length);
    let max = 0;
    for (const p of tables.popularity) if (p > max) max = p;
    const denominator = Math.log1p(max) || 1;
    const perItem = new ArrayBuffer(8 * n);
    this.popNorm = new Float32Array(perItem);
    this.slotOf = new Int32Array(perItem);
    for (let j = 0; j < n; j++) {
      this.popNorm[2 * j] = Math.log1p(tables.popularity[j]!) / denominator;
      this.slotOf[2 * j + 1] = -1;
    }
    const all = Array.from({ length: n }, (_, i) => i);
    this.popular = topK(all, (i) => tables.popularity[i]!, params.popularCandidates, tables.popularity).items;
    this.bought = tables.bought ?? EMPTY_ROWS;
    this.neighborPopMax = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let most = 0;
      for (let p = tables.neighbors.offsets[i]!, end = tables.neighbors.offsets[i + 1]!; p < end; p++) most = Math.max(most, this.popNorm[2 * tables.neighbors.columns[p]!]!);
      this.neighborPopMax[i] = most;
    }
    this.weighsBoughtTogether = (params.weights.bought ?? 0) > 0 && this.bought.columns.length > 0;
    let maxNorm = 0;
    for (let i = 0, o = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < tables.dim; d++, o++) s += tables.vectors[o]! * tables.vectors[o]!;
      if (s > maxNorm) maxNorm = s;
    }
    // A little above the largest norm: float rounding must never make the bound smaller than a real term
    // (a float32 dot product of d terms is within ~d·2⁻²⁴ of |q|·|v|, relative: 2e-6 at d = 32).
    this.maxNorm = Math.sqrt(maxNorm) * (1 + 1e-4) + 1e-9;
    // The kernel's memory: query and candidate scratch, then the vectors table, which `tables.vectors` now
    // views (the model's own array is not kept: the table lives once, where the kernel reads it).
    const layout = new Layout();
    this.queryAt = layout.floats(tables.dim);
    this.batchItemsAt = layout.floats(DOT_BATCH);
    this.batchDotsAt = layout.floats(DOT_BATCH);
    this.vectorsAt = layout.floats(n * tables.dim);
    if (layout.bytes > MAX_KERNEL_BYTES) {
      throw new RangeError(`the offers model's vectors (${n} items × ${tables.dim} dimensions, float32) exceed the 4 GiB a WebAssembly memory can hold`);
    }
    this.kernel = instantiateWasm<SimilarityKernel>(new URL('./similarity.wasm', import.meta.url), layout.bytes);
    const memory = this.kernel.memory.buffer;
    this.query = new Float32Array(memory, this.queryAt, tables.dim);
    this.batchItems = new Int32Array(memory, this.batchItemsAt, DOT_BATCH);
    this.batchDots = new Float32Array(memory, this.batchDotsAt, DOT_BATCH);
    const vectors = new Float32Array(memory, this.vectorsAt, n * tables.dim);
    vectors.set(tables.vectors);
    this.tables = { ...tables, vectors };
    this.seeded = new Int32Array(params.sessionSeeds + params.historySeeds);
    this.grow(1024);
  }

  rank(context: RankingContext, k: number): RankedOffers {
    if (k <= 0) return { items: [], scores: [], reasons: [] };
    const { params } = this;
    const q = this.query.fill(0);
    const sessionItems = context.session;
    const historyItems = context.history ?? [];
    if (context.categoryItems !== undefined) this.markCategories(context.categoryItems);

    // Context: session items (newest first, decaying), then history items at a lower scale; they and their
    // co-occurring and bought-together items are candidates at once.
    for (let age = 0, r = 1; age < sessionItems.length; age++, r *= params.sessionDecay) {
      const item = sessionItems[sessionItems.length - 1 - age]!;
      if (item < 0 || item >= this.n) continue;
      this.slotSession[this.candidate(item)]! += r;
      if (age < params.sessionSeeds) this.seed(item, r);
    }
    for (let age = 0, r = 1; age < historyItems.length; age++, r *= params.historyDecay) {
      const item = historyItems[historyItems.length - 1 - age]!;
      if (item < 0 || item >= this.n) continue;
      this.slotHistory[this.candidate(item)]! += r;
      if (age < params.historySeeds) this.seed(item, params.historyContext * r);
    }

    let norm = 0;
    for (let d = 0; d < q.length; d++) norm += q[d]! * q[d]!;
    norm = Math.sqrt(norm);
    const wSimilarity = this.params.weights.similarity;
    // The most the similarity term can add (nothing without a context vector).
    const simBound = norm > 0 && wSimilarity > 0 ? wSimilarity * this.maxNorm : 0;
    const w = this.componentWeights(context);
    this.k = k;
    this.held = 0;
    this.viewing = sessionItems[sessionItems.length - 1] ?? -1;
    this.exclude = context.exclude !== undefined && context.exclude.size > 0 ? context.exclude : undefined;
    this.allow = context.allow;
    if (this.bounds.length < k) this.bounds = new Float64Array(k);

    // Pass 1: every candidate's score without the similarity (a lower bound of its score), and the k-th best
    // lower bound among the offerable ones (the threshold).
    for (let slot = 0; slot < this.count; slot++) this.scoreSlot(slot);
    // The most popular items, embedding neighbours and category items add no co-occurrence, session or
    // history term: one that is not a candidate yet joins only if popularity, category, value and the largest
    // similarity could lift it to the threshold (the category term counted for the request's category items).
    // Without context (or too few candidates) the threshold is −∞ and every one of them joins.
    this.simBound = simBound;
    // What no item of popularity p can exceed without co-occurrence, session or history: a list ordered by
    // popularity is read up to the first item whose bound misses the threshold (the threshold only rises).
    this.reachBase = (w[7]! > 0 && context.value !== undefined ? w[7]! : 0) + simBound;
    this.reachPop = w[4]! + w[5]!;
    for (const j of this.popular) {
      if (this.slotOf[2 * j + 1]! >= 0) continue;
      if (this.mayReach(j)) this.scoreSlot(this.candidate(j));
      else if (this.beyondReach(this.popNorm[2 * j]!)) break;
    }
    const { offsets, columns } = this.tables.neighbors;
    for (let s = 0; s < this.seededCount; s++) {
      const item = this.seeded[s]!;
      if (this.beyondReach(this.neighborPopMax[item]!)) continue;
      for (let p = offsets[item]!, end = offsets[item + 1]!; p < end; p++) {
        const j = columns[p]!;
        if (this.slotOf[2 * j + 1]! < 0 && this.mayReach(j)) this.scoreSlot(this.candidate(j));
      }
    }
    for (const list of context.categoryItems ?? []) for (let c = 0; c < list.length; c++) {
      const j = list[c]!;
      if (j < 0 || j >= this.n || this.slotOf[2 * j + 1]! >= 0) continue;
      if (this.mayReach(j)) this.scoreSlot(this.candidate(j));
      else if (this.beyondReach(this.popNorm[2 * j]!)) break;
    }

    // Pass 2: only candidates whose bound reaches the threshold get their dot product.
    const threshold = this.threshold();
    const survivors = this.survivors;
    const allow = this.allow;
    let kept = 0;
    for (let c = 0; c < this.survivorCount; c++) {
      const slot = survivors[c]!;
      if (this.slotLow[slot]! + simBound < threshold || (allow !== undefined && !allow(this.slotItem[slot]!))) continue;
      survivors[kept++] = slot;
    }
    for (let from = 0; from < kept; from += DOT_BATCH) this.addSimilarity(from, Math.min(kept, from + DOT_BATCH), simBound > 0 ? norm : 0);
    const best = topK(survivors.subarray(0, kept), this.scoreOf, k, this.tables.popularity);
    const reasons: OfferReason[] = [];
    for (const j of best.items) {
      const p = this.components(j, w);
      let arg = 4;
      for (let c = 0; c < 4; c++) if (p[c]! > p[arg]!) arg = c;
      if (p[5]! > p[arg]!) arg = 5;
      if (p[6]! > p[arg]!) arg = 6;
      reasons.push(REASONS[arg]!);
    }
    this.reset();
    return { items: best.items, scores: best.scores, reasons };
  }

  /**
   * Pass 1 for one slot: its lower bound, and that bound into the k best if the item may be offered (the
   * business filter runs only for those).
   */
  private scoreSlot(slot: number): void {
    const j = this.slotItem[slot]!;
    if (j === this.viewing || (this.exclude !== undefined && this.exclude.has(j))) return;
    const low = this.cheapScore(slot, j, this.weights);
    this.slotLow[slot] = low;
    this.survivors[this.survivorCount++] = slot;
    const k = this.k;
    const bounds = this.bounds;
    if (this.held === k && low <= bounds[k - 1]!) return;
    if (this.allow !== undefined && !this.allow(j)) return;
    let at = this.held < k ? this.held++ : k - 1;
    while (at > 0 && bounds[at - 1]! < low) {
      bounds[at] = bounds[at - 1]!;
      at--;
    }
    bounds[at] = low;
  }

  /**
   * Could popularity, category, value and the largest similarity lift item j (not a candidate yet: no
   * co-occurrence, session or history term) to the threshold? A method, not a closure per request: the
   * TypeScript loader names every closure it creates (a property definition each).
   */
  private mayReach(j: number): boolean {
    const w = this.weights;
    const value = this.value;
    const pop = (this.inCategory(j) ? w[4]! + w[5]! : w[4]!) * this.popNorm[2 * j]!;
    return pop + (value === undefined ? 0 : w[7]! * value[j]!) + this.simBound >= this.threshold();
  }

  /**
   * Whether no item of normalized popularity `pop` or less (and value ≤ 1) can reach the threshold. Only with
   * a non-negative popularity weight is the bound monotone in popularity (a tuned card's weights are ≥ 0).
   */
  private beyondReach(pop: number): boolean {
    return this.reachPop >= 0 && this.reachPop * pop + this.reachBase < this.threshold();
  }

  /** Whether item j is in one of this request's category lists (a probe of the small table). */
  private inCategory(j: number): boolean {
    if (this.categoryCount === 0) return false;
    const table = this.categoryTable;
    const mask = table.length - 1;
    for (let h = Math.imul(j, 0x9e3779b1) >>> this.categoryShift; ; h = (h + 1) & mask) {
      const at = table[h]!;
      if (at === j) return true;
      if (at < 0) return false;
    }
  }

  /** This request's category items into the small table (sized to stay at most a quarter full). */
  private markCategories(lists: ReadonlyArray<ArrayLike<number>>): void {
    let total = 0;
    for (const list of lists) total += list.length;
    if (4 * total > this.categoryTable.length) {
      const bits = Math.ceil(Math.log2(4 * total));
      this.categoryTable = new Int32Array(2 ** bits).fill(-1);
      this.categoryShift = 32 - bits;
    }
    const table = this.categoryTable;
    const mask = table.length - 1;
    for (const list of lists) for (let c = 0; c < list.length; c++) {
      const j = list[c]!;
      if (j < 0 || j >= this.n) continue;
      let h = Math.imul(j, 0x9e3779b1) >>> this.categoryShift;
      while (table[h]! >= 0 && table[h] !== j) h = (h + 1) & mask;
      if (table[h]! < 0) {
        table[h] = j;
        this.categoryCount++;
      }
    }
  }

  /** The k-th best lower bound so far: no candidate whose score cannot reach it is in the top k. */
  private threshold(): number {
    return this.held === this.k ? this.bounds[this.k - 1]! : -Infinity;
  }

  /** A context item's rows: their items become candidates, and the item's vector joins the query. */
  private seed(item: number, context: number): void {
    if (context <= 0) return;
    const { dim, vectors, cooc } = this.tables;
    const q = this.query;
    for (let d = 0, o = item * dim; d < dim; d++) q[d]! += context * vectors[o + d]!;
    for (let p = cooc.offsets[item]!, end = cooc.offsets[item + 1]!; p < end; p++) {
      this.slotCooc[this.candidate(cooc.columns[p]!)]! += context * cooc.weights[p]!;
    }
    const bought = this.bought;
    for (let p = bought.offsets[item]!, end = bought.offsets[item + 1]!; p < end; p++) {
      this.slotBought[this.candidate(bought.columns[p]!)]! += context * bought.weights[p]!;
    }
    // Its embedding neighbours are looked at once the threshold is known.
    this.seeded[this.seededCount++] = item;
  }

  /** Weight per component for this request, in component order (the similarity's is applied apart). */
  private componentWeights(context: RankingContext): Float64Array {
    const w = this.params.weights;
    const lift = context.intentLift ?? 1;
    const weights = this.weights;
    weights[0] = w.cooc;
    weights[1] = w.similarity;
    weights[2] = w.session;
    weights[3] = w.history;
    weights[4] = w.popularity;
    weights[5] = context.categoryItems !== undefined ? (context.categoryWeight ?? 0) : 0;
    weights[6] = (w.bought ?? 0) * lift;
    weights[7] = context.value !== undefined ? (context.valueWeight ?? 0) * lift : 0;
    this.value = context.value;
    return weights;
  }

  /** Every component but the similarity, summed in component order. */
  private cheapScore(slot: number, j: number, w: Float64Array): number {
    const pop = this.popNorm[2 * j]!;
    let s = w[0]! * this.slotCooc[slot]!;
    s += w[2]! * this.slotSession[slot]!;
    s += w[3]! * this.slotHistory[slot]!;
    s += w[4]! * pop;
    if (this.slotCategory[slot]) s += w[5]! * pop;
    s += w[6]! * this.slotBought[slot]!;
    if (this.value !== undefined) s += w[7]! * this.value[j]!;
    return s;
  }

  /** The score components of a ranked item (the similarity's from pass 2), into `parts`. */
  private components(j: number, w: Float64Array): Float64Array {
    const slot = this.slotOf[2 * j + 1]!;
    const parts = this.parts;
    parts[0] = w[0]! * this.slotCooc[slot]!;
    parts[SIMILARITY] = this.slotSimilarity[slot]!;
    parts[2] = w[2]! * this.slotSession[slot]!;
    parts[3] = w[3]! * this.slotHistory[slot]!;
    const pop = this.popNorm[2 * j]!;
    parts[4] = w[4]! * pop;
    parts[5] = this.slotCategory[slot] ? w[5]! * pop : 0;
    parts[6] = w[6]! * this.slotBought[slot]!;
    parts[7] = this.value === undefined ? 0 : w[7]! * this.value[j]!;
    return parts;
  }

  /**
   * Survivors [from, to) (slots): the similarity term (one kernel call for their dot products; none without
   * a context vector, norm 0) and the full score by item; the survivors' entries become their items.
   */
  private addSimilarity(from: number, to: number, norm: number): void {
    const survivors = this.survivors;
    const wSimilarity = this.params.weights.similarity;
    if (norm > 0) {
      for (let c = from; c < to; c++) this.batchItems[c - from] = this.slotItem[survivors[c]!]!;
      this.kernel.dots(this.queryAt, this.vectorsAt, this.tables.dim, this.batchItemsAt, to - from, this.batchDotsAt);
    }
    for (let c = from; c < to; c++) {
      const slot = survivors[c]!;
      const j = this.slotItem[slot]!;
      const s = norm > 0 ? wSimilarity * Math.max(0, this.batchDots[c - from]! / norm) : 0;
      this.slotSimilarity[slot] = s;
      this.slotTotal[slot] = this.slotLow[slot]! + s;
      survivors[c] = j;
    }
  }

  /** The item's slot, given a fresh one (zeroed) on its first mention in this request. */
  private candidate(item: number): number {
    const held = this.slotOf[2 * item + 1]!;
    if (held >= 0) return held;
    const slot = this.count++;
    if (slot === this.slotItem.length) this.grow(2 * slot);
    this.slotOf[2 * item + 1] = slot;
    this.slotItem[slot] = item;
    this.slotCooc[slot] = 0;
    this.slotBought[slot] = 0;
    this.slotSession[slot] = 0;
    this.slotHistory[slot] = 0;
    this.slotCategory[slot] = this.inCategory(item) ? 1 : 0;
    this.slotSimilarity[slot] = 0;
    return slot;
  }

  private grow(capacity: number): void {
    const grown = <T extends Int32Array | Float32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.slotItem = grown(this.slotItem, (c) => new Int32Array(c));
    this.slotCooc = grown(this.slotCooc, (c) => new Float32Array(c));
    this.slotBought = grown(this.slotBought, (c) => new Float32Array(c));
    this.slotSession = grown(this.slotSession, (c) => new Float32Array(c));
    this.slotHistory = grown(this.slotHistory, (c) => new Float32Array(c));
    this.slotCategory = grown(this.slotCategory, (c) => new Uint8Array(c));
    this.slotLow = grown(this.slotLow, (c) => new Float64Array(c));
    this.slotSimilarity = grown(this.slotSimilarity, (c) => new Float64Array(c));
    this.slotTotal = grown(this.slotTotal, (c) => new Float64Array(c));
    this.survivors = grown(this.survivors, (c) => new Int32Array(c));
  }

  private reset(): void {
    for (let slot = 0; slot < this.count; slot++) this.slotOf[2 * this.slotItem[slot]! + 1] = -1;
    this.count = 0;
    this.survivorCount = 0;
    this.seededCount = 0;
    if (this.categoryCount > 0) {
      this.categoryTable.fill(-1);
      this.categoryCount = 0;
    }
    this.value = undefined;
    this.exclude = undefined;
    this.allow = undefined;
  }
}
