/**
 * Next-best offers, measured side by side in one run:
 *   (a) the offers model of `items` items (synthetic tables in the registry format: 32-dim vectors, 20
 *       neighbours, 20 co-occurring and 5 bought-together items per item, Zipf popularity) with a catalog of the same items in
 *       NATS KV IOB_CATALOG (watched into the engine's local map) and the online offers state of `subjects`
 *       subjects (5 recent items each, applied to the engine's state directly: ingesting a million subjects
 *       through NATS is the ingest bench's job);
 *   (b) in-process ranking time per request (the service the route calls, personalized, k = 10), and the same
 *       with the purchase-intent lift (an offers service given the intent service: one intent score per
 *       request, the served intent shape of bench/intent.bench.ts); and the ranker alone over 2,000 random
 *       sessions, where caches are as cold as a server's;
 *   (c) `POST /v1/offers` (k = 10, a consented shopper with a live session) vs a bare route returning a
 *       constant of similar size, on the same Fastify app, loaded by the same autocannon child process;
 *       server-side time is fastify's `reply.elapsedTime` per route (onResponse hook); and beside both a
 *       bare route answered per turn, as the scoring routes answer (bench/intent.bench.ts);
 *   (d) memory: model tables per item, the catalog's local map per item (heap growth while the watch
 *       fills it), the online state per subject (heap and array-buffer growth while it fills; the state
 *       is typed arrays, so nearly all of it is array buffers, slack of the doubling arrays included).
 * Ratios: offers req/s over bare req/s (target ≥ 0.7), offers server-side p99 in ms (target < 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, loadConfig, startEngine, startNatsServer, type CatalogEntry, type StoredEvent } from '../engine/index.ts';
import { DEFAULT_RANKING, saveOffersModel, type OfferTables } from '../models/offers/index.ts';
import { promote, registerVersion } from '../models/registry.ts';
import { createIntentService } from '../serving/intent-service.ts';
import { createOffersService } from '../serving/offers-service.ts';
import { registerStoreIntentModel } from '../test/models/store-intent-model.ts';
import { offersCard } from '../test/offers/store-offers-model.ts';
import { collectGarbage } from './collect-garbage.ts';
import type { BenchReport } from './ingest.bench.ts';
import { appWithBareRoute, BARE, batchedBareFigures, pollingFigures, routeBesideBare, SERVED_SHAPE } from './intent.bench.ts';

export interface OffersBenchOptions {
  items: number;
  subjects: number;
  seconds: number;
  connections: number;
  rounds: number;
  iterations: number;
}

const DIM = 32;
const NEIGHBOURS = 20;
const COOC = 20;
const BOUGHT = 5;
/** The bench model's ranking: the defaults with bought-together rows weighted, as a trained version has them. */
const RANKING = { ...DEFAULT_RANKING, weights: { ...DEFAULT_RANKING.weights, bought: 0.5 } };
const CATEGORIES = 500;

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296);
}

/** Synthetic tables: item i's neighbours, co-occurring and bought-together items are drawn near i (so they overlap), popularity Zipf. */
export function syntheticTables(n: number): OfferTables {
  const rand = rng(7);
  const vectors = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < DIM; d++) norm += (vectors[i * DIM + d] = rand() - 0.5) ** 2;
    norm = Math.sqrt(norm);
    for (let d = 0; d < DIM; d++) vectors[i * DIM + d]! /= norm;
  }
  const rows = (count: number) => {
    const offsets = new Uint32Array(n + 1);
    const columns = new Uint32Array(n * count);
    const weights = new Float32Array(n * count);
    for (let i = 0; i < n; i++) {
      offsets[i + 1] = (i + 1) * count;
      for (let c = 0; c < count; c++) {
        columns[i * count + c] = (i + 1 + Math.floor(rand() * 200)) % n;
        weights[i * count + c] = 1 - c / count;
      }
    }
    return { offsets, columns, weights };
  };
  return {
    items: Array.from({ length: n }, (_, i) => `sku-${i}`),
    dim: DIM,
    vectors,
    neighborCount: NEIGHBOURS,
    neighbors: rows(NEIGHBOURS),
    cooc: rows(COOC),
    bought: rows(BOUGHT),
    popularity: Float32Array.from({ length: n }, (_, i) => 100_000 / (i + 1)),
  };
}

function tablesBytes(t: OfferTables): number {
  const rows = [t.neighbors, t.cooc, ...(t.bought ? [t.bought] : [])].flatMap((r) => [r.offsets, r.columns, r.weights]);
  return [t.vectors, t.popularity, ...rows].reduce((s, a) => s + a.byteLength, 0);
}

/** Live heap and array buffers after full collections (the growth figures would otherwise count garbage). */
const heap = () => {
  const gc = collectGarbage();
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

export async function benchOffers(options: OffersBenchOptions, say: (line: string) => void): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-offers-'));
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  try {
    const t0 = performance.now();
    const tables = syntheticTables(options.items);
    const registry = join(dir, 'models');
    await registerVersion(registry, 'offers', 'bench-v1', (d) => saveOffersModel(d, tables, offersCard('bench-v1', tables, RANKING)));
    await promote(registry, 'offers', 'bench-v1');
    await registerStoreIntentModel(registry, 'bench-i1', { ...SERVED_SHAPE, promote: true });
    say(`model: ${options.items} items, dim ${DIM}, ${NEIGHBOURS} neighbours, ${COOC} co-occurring and ${BOUGHT} bought-together items each (${round((performance.now() - t0) / 1000, 1)} s)`);

    // No periodic snapshot during the run: packing a million subjects' offers state is seconds of CPU, and
    // landing in some rounds and not others it would decide the ratio (snapshots: docs/architecture.md).
    const config = loadConfig({}, { natsUrl: server.url, dataDir: join(dir, 'data'), pseudonymKey: 'b'.repeat(32), logLevel: 'warn', snapshotIntervalMs: 86_400_000 });
    const key = { id: 'bench', key: 'bench-key-0123456789abcdef', scopes: ['score' as const, 'ingest' as const, 'admin' as const] };
    const engine = await startEngine({ config, log: quiet() });
    const bareAnswer = { offers: Array.from({ length: 10 }, (_, i) => ({ item: `sku-${i}`, score: 1 - i / 10, reason: 'popular' })), personalized: true, modelVersion: 'bench-v1' };
    const { app, serverMs } = await appWithBareRoute({ engine, key, registry, bodyLimitBytes: config.bodyLimitBytes }, '/v1/offers', bareAnswer);
    const service = await createOffersService({ engine, registry, log: quiet() });
    const intent = await createIntentService({ engine, registry, log: quiet() });
    const withIntent = await createOffersService({ engine, registry, log: quiet(), intent });
    try {
      // Catalog: every item, a category each, a tenth out of stock.
      const t1 = performance.now();
      const heapBeforeCatalog = heap();
      const entries: CatalogEntry[] = tables.items.map((id, i) => ({ id, category: `cat-${i % CATEGORIES}`, price: 1 + (i % 100), in_stock: i % 10 !== 3 }));
      await engine.catalog.replace(entries);
      await engine.catalog.waitFor(() => engine.catalog.size === options.items, 600_000);
      entries.length = 0;
      const catalogBytesPerItem = (heap() - heapBeforeCatalog) / options.items;
      say(`catalog: ${options.items} entries in IOB_CATALOG and the local map (${round((performance.now() - t1) / 1000, 1)} s)`);

      // Online state for `subjects` subjects, 5 recent items each, straight into the engine's state.
      // Pseudonyms first (the pseudonymizer's memo would count otherwise); the key strings are then counted
      // with the ids, not the state (~40 B each).
      const t2 = performance.now();
      const sids = Array.from({ length: options.subjects }, (_, s) => engine.pseudonymize('subject', `u${s}`));
      const heapBeforeState = heap();
      const rand = rng(3);
      for (let s = 0; s < options.subjects; s++) {
        const sid = sids[s]!;
        for (let e = 0; e < 5; e++) {
          const item = Math.floor(rand() * options.items);
          const event: StoredEvent = { eid: '', ts: 1_700_000_000_000 + e, sid, type: 'view', item: `sku-${item}`, category: `cat-${item % CATEGORIES}`, rt: 0 };
          engine.recentItems.apply(event);
        }
      }
      const stateBytesPerSubject = (heap() - heapBeforeState) / options.subjects;
      say(`online state: ${engine.recentItems.size} subjects × 5 items (${round((performance.now() - t2) / 1000, 1)} s)`);

      // The shopper the requests name: consented, a live session through the real ingest path.
      await engine.subjects.updateConsent('bench-shopper', { purposes: { personalization: true }, source: 'bench', at: 0 }, 'bench');
      const now = Date.now() - 5 * 60_000;
      const report = await engine.ingest([101, 5_000, 5_010, 77_777, 5_020].map((item, i) => ({ id: `bench-${i}`, ts: now + i * 20_000, subject: 'bench-shopper', session: 'bench-s', type: 'view', item: `sku-${item}`, category: `cat-${item % CATEGORIES}` })));
      await engine.waitForSeq(report.lastSeq, 30_000);
      const request = { subject: 'bench-shopper', session: 'bench-s', k: 10 };
      const first = service.offers(request, false);
      if (!first.personalized || first.offers.length !== 10) throw new Error(`the bench request is not a personalized list of 10: ${JSON.stringify(first)}`);

      // In-process ranking (what the route's handler runs), alternating with nothing: best of rounds.
      let rankUs = Infinity;
      for (let r = 0; r < Math.max(1, options.rounds); r++) {
        const n = options.iterations;
        const t = performance.now();
        for (let i = 0; i < n; i++) service.offers(request, false);
        rankUs = Math.min(rankUs, ((performance.now() - t) * 1000) / n);
      }
      let intentUs = Infinity;
      for (let r = 0; r < Math.max(1, options.rounds); r++) {
        const t = performance.now();
        for (let i = 0; i < options.iterations; i++) withIntent.offers(request, false);
        intentUs = Math.min(intentUs, ((performance.now() - t) * 1000) / options.iterations);
      }
      // The ranker alone over many different sessions (5 random items each): each request touches other rows,
      // vectors and popularity entries, as a server's traffic does, so caches are mostly cold, unlike the one
      // shopper asked again and again above.
      const ranker = service.current()!.ranker;
      const rand2 = rng(5);
      const sessions = Array.from({ length: 2_000 }, () => ({ session: Array.from({ length: 5 }, () => Math.floor(rand2() * options.items)) }));
      let spreadUs = Infinity;
      for (let r = 0; r < Math.max(1, options.rounds); r++) {
        const t = performance.now();
        for (let i = 0; i < options.iterations; i++) ranker.rank(sessions[i % sessions.length]!, 10);
        spreadUs = Math.min(spreadUs, ((performance.now() - t) * 1000) / options.iterations);
      }
      const fallback = { subject: 'no-consent-visitor', k: 10 };
      const tf = performance.now();
      for (let i = 0; i < options.iterations; i++) service.offers(fallback, false);
      const fallbackUs = ((performance.now() - tf) * 1000) / options.iterations;
      say(`in-process ranking: personalized ${round(rankUs, 1)} µs (${round(intentUs, 1)} µs with the intent lift), popular fallback ${round(fallbackUs, 1)} µs per request; the ranker alone over 2,000 random sessions ${round(spreadUs, 1)} µs`);

      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const body = JSON.stringify(request);
      const auth = { authorization: `Bearer ${key.key}` };
      const { host, polling } = await routeBesideBare(base, '/v1/offers', body, auth, options, serverMs, say);
      const { best, failed, pairedMedian } = host;
      const offers = best['/v1/offers']!;
      const bare = best[BARE]!;
      const polled = pollingFigures('offers', '/v1/offers', 'POST /v1/offers (k = 10)', polling);
      const batched = batchedBareFigures('offers', '/v1/offers', host, polling);
      return {
        name: 'offers',
        rows: [
          { label: 'items (model and catalog)', value: options.items, unit: '' },
          { label: 'subjects with online state', value: options.subjects, unit: '' },
          { label: 'in-process ranking, personalized, k = 10', value: round(rankUs, 1), unit: 'µs' },
          { label: 'in-process ranking with the intent lift', value: round(intentUs, 1), unit: 'µs' },
          { label: 'in-process ranking, popular fallback', value: round(fallbackUs, 1), unit: 'µs' },
          { label: 'ranker alone, 2,000 random sessions (cold caches)', value: round(spreadUs, 1), unit: 'µs' },
          { label: 'POST /v1/offers (k = 10)', value: Math.round(offers.rps), unit: 'req/s' },
          { label: 'bare route (constant)', value: Math.round(bare.rps), unit: 'req/s' },
          { label: 'POST /v1/offers client p99 (whole ms, as autocannon records)', value: offers.clientP99Ms, unit: 'ms' },
          { label: 'POST /v1/offers server-side p50', value: round(offers.serverP50Ms, 3), unit: 'ms' },
          { label: 'POST /v1/offers server-side p99', value: round(offers.serverP99Ms, 3), unit: 'ms' },
          { label: 'bare route server-side p99', value: round(bare.serverP99Ms, 3), unit: 'ms' },
          { label: 'POST /v1/offers server CPU per request', value: round(offers.serverCpuUs, 1), unit: 'µs' },
          { label: 'bare route server CPU per request', value: round(bare.serverCpuUs, 1), unit: 'µs' },
          { label: 'model tables per item', value: round(tablesBytes(tables) / options.items, 0), unit: 'B' },
          { label: 'catalog local map per item (heap growth)', value: round(catalogBytesPerItem, 0), unit: 'B' },
          { label: 'online state per subject (5 items, heap+buffers)', value: round(stateBytesPerSubject, 0), unit: 'B' },
          ...polled.rows,
          ...batched.rows,
          { label: 'failed requests (errors + non-2xx)', value: failed + (polling?.failed ?? 0), unit: '' },
        ],
        ratios: {
          offers_vs_bare_rps: round(offers.rps / bare.rps, 3),
          offers_vs_bare_rps_paired_median: round(pairedMedian('/v1/offers'), 3),
          offers_server_p99_ms: round(offers.serverP99Ms, 3),
          ...polled.ratios,
          ...batched.ratios,
          ranking_us: round(rankUs, 1),
          ranking_with_intent_us: round(intentUs, 1),
          ranking_random_sessions_us: round(spreadUs, 1),
        },
      };
    } finally {
      service.close();
      withIntent.close();
      intent.close();
      await app.close();
      await engine.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
