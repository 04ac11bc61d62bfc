/**
 * The offers ranking: one implementation, evaluated by `iob train offers` and run by serving. Pure
 * TypeScript over the model's typed arrays (tables.ts); no TF.js.
 *
 * For a session (its items, newest last) and the subject's earlier items:
 *
 *   score(j) = w.cooc       · Σ_i r_i · C(i, j)            co-occurrence with the context items
 *            + w.similarity · max(0, cos(q, v_j))          embedding similarity to the context vector
 *            + w.session    · Σ_{i: item i = j} r_i        items of this session, seen again
 *            + w.history    · Σ_{h: item h = j} r_h        items the subject saw in earlier sessions
 *            + w.popularity · log(1 + pop_j) / log(1 + max pop)
 *
 * with r_i = sessionDecay^(age of step i in the session, newest = 0) for session items and
 * historyContext · historyDecay^(age) for history items, and q = Σ r_i v_i. Candidates: the context items'
 * co-occurring items and precomputed embedding neighbours, the session and history items, and the most
 * popular items as a fallback. The item being viewed (the session's newest) and `exclude` are never
 * offered. Each offer carries the reason that contributed most to its score.
 *
 * Serving adds two optional inputs (evaluation passes neither, so its numbers are unchanged):
 * `categoryItems`, items trending in the session's categories (from the catalog), which join the candidates
 * and add `categoryWeight · log(1 + pop_j) / log(1 + max pop)` (reason `trending_in_category`); and `allow`,
 * the business filter (stock, eligibility, already purchased), applied to candidates before top-k; and
 * `value`, a business value per item in [0, 1] (from the catalog's margin and price), which adds
 * `valueWeight · value_j` to the score but never names the reason.
 */
import type { OfferTables } from './tables.ts';
import { topK } from './top-k.ts';

export interface RankingWeights {
  cooc: number;
  similarity: number;
  session: number;
  history: number;
  popularity: number;
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
  weights: { cooc: 1, similarity: 0.5, session: 0.5, history: 0.5, popularity: 0.05 },
  sessionDecay: 0.7,
  historyDecay: 0.9,
  historyContext: 0.3,
  sessionSeeds: 10,
  historySeeds: 20,
  popularCandidates: 50,
};

export type OfferReason = 'viewed_together' | 'similar_to_viewed' | 'viewed_before' | 'popular' | 'trending_in_category';
const REASONS: readonly OfferReason[] = ['viewed_together', 'similar_to_viewed', 'viewed_before', 'viewed_before', 'popular', 'trending_in_category'];

export interface RankingContext {
  /** Table indices of the session's items, oldest first; the last is the item being viewed. */
  session: readonly number[];
  /** Table indices of the subject's earlier items, oldest first. */
  history?: readonly number[];
  /** Table indices never to offer. */
  exclude?: ReadonlySet<number>;
  /** Serving: items trending in the session's categories (extra candidates, scored with categoryWeight). */
  categoryItems?: readonly number[];
  categoryWeight?: number;
  /** Serving: business value per item (table index) in [0, 1], added with valueWeight. */
  value?: ArrayLike<number>;
  valueWeight?: number;
  /** Serving: business filter; a candidate it rejects is never offered. */
  allow?: (item: number) => boolean;
}

export interface RankedOffers {
  items: number[];
  scores: number[];
  reasons: OfferReason[];
}

/** A ranker over one model's tables. Holds scratch buffers: one instance per thread of work (not re-entrant). */
export class OfferRanker {
  private readonly n: number;
  private readonly popNorm: Float32Array;
  private readonly popular: number[];
  // Scratch, indexed by item; `touched` lists the entries to reset.
  private readonly cooc: Float32Array;
  private readonly session: Float32Array;
  private readonly history: Float32Array;
  private readonly isCandidate: Uint8Array;
  private readonly inCategory: Uint8Array;
  private readonly touched: number[] = [];
  private readonly query: Float32Array;
  private readonly total: Float64Array;
  private readonly parts = new Float64Array(7);
  private value: ArrayLike<number> | undefined;
  private wValue = 0;
  private norm = 1;
  private wCategory = 0;

  constructor(
    readonly tables: OfferTables,
    readonly params: RankingParams,
  ) {
    const n = (this.n = tables.items.length);
    let max = 0;
    for (const p of tables.popularity) if (p > max) max = p;
    const denominator = Math.log1p(max) || 1;
    this.popNorm = tables.popularity.map((p) => Math.log1p(p) / denominator);
    const all = Array.from({ length: n }, (_, i) => i);
    this.popular = topK(all, (i) => tables.popularity[i]!, params.popularCandidates, tables.popularity).items;
    this.cooc = new Float32Array(n);
    this.session = new Float32Array(n);
    this.history = new Float32Array(n);
    this.isCandidate = new Uint8Array(n);
    this.inCategory = new Uint8Array(n);
    this.query = new Float32Array(tables.dim);
    this.total = new Float64Array(n);
  }

  rank(context: RankingContext, k: number): RankedOffers {
    const { tables, params } = this;
    const w = params.weights;
    const { dim, vectors } = tables;
    const q = this.query.fill(0);
    const sessionItems = context.session;
    const historyItems = context.history ?? [];

    // Context: session items (newest first, decaying), then history items at a lower scale.
    const seed = (item: number, repeat: number, into: Float32Array, context: number): void => {
      if (item < 0 || item >= this.n) return;
      this.candidate(item);
      into[item]! += repeat;
      if (context <= 0) return;
      for (let d = 0, o = item * dim; d < dim; d++) q[d]! += context * vectors[o + d]!;
      const { offsets, columns, weights } = tables.cooc;
      for (let p = offsets[item]!; p < offsets[item + 1]!; p++) {
        const j = columns[p]!;
        this.candidate(j);
        this.cooc[j]! += context * weights[p]!;
      }
      const nb = tables.neighbors;
      for (let p = nb.offsets[item]!; p < nb.offsets[item + 1]!; p++) this.candidate(nb.columns[p]!);
    };
    for (let age = 0, r = 1; age < sessionItems.length; age++, r *= params.sessionDecay) {
      seed(sessionItems[sessionItems.length - 1 - age]!, r, this.session, age < params.sessionSeeds ? r : 0);
    }
    for (let age = 0, r = 1; age < historyItems.length; age++, r *= params.historyDecay) {
      seed(historyItems[historyItems.length - 1 - age]!, r, this.history, age < params.historySeeds ? params.historyContext * r : 0);
    }
    for (const item of this.popular) this.candidate(item);
    for (const item of context.categoryItems ?? []) {
      if (item < 0 || item >= this.n) continue;
      this.candidate(item);
      this.inCategory[item] = 1;
    }
    const wCategory = context.categoryWeight ?? 0;

    let norm = 0;
    for (let d = 0; d < dim; d++) norm += q[d]! * q[d]!;
    this.norm = Math.sqrt(norm) || 1;
    this.wCategory = wCategory;
    this.value = context.value;
    this.wValue = context.valueWeight ?? 0;
    const viewing = sessionItems[sessionItems.length - 1];
    const allow = context.allow;
    const exclude = context.exclude;
    // Each candidate's components once (the same arithmetic as the reasons below); top-k reads the totals.
    const candidates: number[] = [];
    const total = this.total;
    const parts = this.parts;
    for (const j of this.touched) {
      if (j === viewing || (exclude !== undefined && exclude.has(j)) || (allow !== undefined && !allow(j))) continue;
      this.components(j);
      total[j] = parts[0]! + parts[1]! + parts[2]! + parts[3]! + parts[4]! + parts[5]! + parts[6]!;
      candidates.push(j);
    }
    const best = topK(candidates, (j) => total[j]!, k, tables.popularity);
    const reasons = best.items.map((j) => {
      const p = this.components(j);
      let arg = 4;
      for (let c = 0; c < 4; c++) if (p[c]! > p[arg]!) arg = c;
      if (p[5]! > p[arg]!) arg = 5;
      return REASONS[arg]!;
    });
    this.reset();
    return { items: best.items, scores: best.scores, reasons };
  }

  /** The score components of item j for the current context (query, norm), into `parts`. */
  private components(j: number): Float64Array {
    const { dim, vectors } = this.tables;
    const w = this.params.weights;
    const q = this.query;
    const parts = this.parts;
    let dot = 0;
    for (let d = 0, o = j * dim; d < dim; d++) dot += q[d]! * vectors[o + d]!;
    parts[0] = w.cooc * this.cooc[j]!;
    parts[1] = w.similarity * Math.max(0, dot / this.norm);
    parts[2] = w.session * this.session[j]!;
    parts[3] = w.history * this.history[j]!;
    parts[4] = w.popularity * this.popNorm[j]!;
    parts[5] = this.inCategory[j] ? this.wCategory * this.popNorm[j]! : 0;
    parts[6] = this.value === undefined ? 0 : this.wValue * this.value[j]!;
    return parts;
  }

  private candidate(item: number): void {
    if (this.isCandidate[item]) return;
    this.isCandidate[item] = 1;
    this.touched.push(item);
  }

  private reset(): void {
    for (const j of this.touched) {
      this.isCandidate[j] = 0;
      this.cooc[j] = 0;
      this.session[j] = 0;
      this.history[j] = 0;
      this.inCategory[j] = 0;
    }
    this.touched.length = 0;
  }
}
