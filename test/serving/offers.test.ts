/**
 * POST /v1/offers and PUT /v1/catalog against a real engine (test nats-server) and a real model registry
 * holding a tiny offers model (test/offers/store-offers-model.ts): personalized offers with reasons after
 * views, the popular fallback without consent, catalog and purchase filters, k bounds, exploration
 * propensities, catalog validation and propagation to a second engine, the online state in the export and
 * purged on withdrawal and erasure, hot reload of a promoted version, 503 without a model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLogger, loadConfig, startEngine, type Engine } from '../../engine/index.ts';
import { promote } from '../../models/registry.ts';
import { bearer, grantPersonalization, startTestStack, TEST_KEYS } from '../helpers/engine.ts';
import { defer, tempDir } from '../helpers/nats.ts';
import { offerTables, registerStoreOffersModel } from '../offers/store-offers-model.ts';

interface OffersBody {
  offers: Array<{ item: string; score: number; reason: string; propensity?: number }>;
  personalized: boolean;
  modelVersion: string;
  note?: string;
  code?: string;
  problems?: Array<{ path: string; reason: string }>;
}

const REASONS = new Set(['similar_to_viewed', 'bought_together', 'trending_in_category', 'popular']);
const offers = async (app: FastifyInstance, payload: object, headers: Record<string, string> = bearer('score')) => {
  const res = await app.inject({ method: 'POST', url: '/v1/offers', headers, payload });
  return { status: res.statusCode, body: res.json<OffersBody>() };
};
const putCatalog = (app: FastifyInstance, payload: object) => app.inject({ method: 'PUT', url: '/v1/catalog', headers: bearer('admin'), payload });

async function ingest(engine: Engine, events: Array<Record<string, unknown>>): Promise<void> {
  const report = await engine.ingest(events);
  assert.equal(report.accepted, events.length, JSON.stringify(report.results.filter((r) => r.status !== 'accepted')));
  await engine.waitForSeq(report.lastSeq, 10_000);
}

let n = 0;
const event = (subject: string, session: string, type: string, item: string, extra: Record<string, unknown> = {}) => ({
  id: `e-${n++}`,
  ts: Date.now() - 60_000 + n,
  subject,
  session,
  type,
  item,
  ...extra,
});

test('offers: personalized with reasons after views, popular fallback without consent, filters, k bounds, exploration', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  await registerStoreOffersModel(registry, 'v1', { promote: true });
  const { app, engine } = await startTestStack(t, {}, { registry, modelPollMs: 100 });
  await grantPersonalization(engine, 'alice', 'carol');
  await engine.subjects.updateConsent('bob', { purposes: { personalization: false }, source: 'test', at: 0 }, 'test');
  await ingest(engine, [
    event('alice', 's1', 'view', 'sku-10', { category: 'shoes' }),
    event('alice', 's1', 'view', 'sku-11', { category: 'shoes' }),
    event('bob', 'sb', 'view', 'sku-10'),
    // carol views an item the model has never seen, in a category the catalog knows
    event('carol', 'sc', 'view', 'brand-new', { category: 'bags' }),
  ]);

  // Personalized: from the viewed items' co-occurrence and neighbours; the item being viewed is not offered.
  const a = await offers(app, { subject: 'alice', session: 's1', k: 5 });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.personalized, true);
  assert.equal(a.body.modelVersion, 'v1');
  assert.equal(a.body.note, undefined);
  assert.equal(a.body.offers.length, 5);
  for (const o of a.body.offers) assert.ok(REASONS.has(o.reason), o.reason);
  const items = a.body.offers.map((o) => o.item);
  assert.ok(!items.includes('sku-11'), 'the item being viewed is not offered');
  assert.ok(items.includes('sku-12'), `sku-12 follows sku-11: ${items}`);
  assert.ok(['bought_together', 'similar_to_viewed'].includes(a.body.offers[0]!.reason), a.body.offers[0]!.reason);
  assert.ok(a.body.offers.every((o, i) => i === 0 || a.body.offers[i - 1]!.score >= o.score), 'best first');
  // Without a session id: the session of the most recent item.
  assert.deepEqual((await offers(app, { subject: 'alice', k: 5 })).body.offers, a.body.offers);
  // Requests arriving together are ranked together (serving/turn-batch.ts), each for its own subject.
  const mixed = [{ subject: 'alice', session: 's1', k: 5 }, { subject: 'bob', k: 3 }, { subject: 'carol', k: 4 }, { subject: 'alice', k: 101 }, { subject: 'nobody', k: 2 }];
  const alone = [];
  for (const payload of mixed) alone.push(await offers(app, payload));
  const together = await Promise.all(mixed.map((payload) => offers(app, payload)));
  const answer = (r: { status: number; body: OffersBody }) => [r.status, { ...r.body, requestId: undefined }];
  assert.deepEqual(together.map(answer), alone.map(answer));
  assert.deepEqual(together.map((r) => [r.status, r.body.offers?.length]), [[200, 5], [200, 3], [200, 4], [400, undefined], [200, 2]]);
  assert.deepEqual(together[0]!.body.offers, a.body.offers);

  // No consent, unknown subject, Sec-GPC: the popular fallback.
  const b = await offers(app, { subject: 'bob', k: 3 });
  assert.equal(b.status, 200);
  assert.deepEqual(b.body, { personalized: false, modelVersion: 'v1', note: 'no_consent', offers: b.body.offers });
  assert.deepEqual(b.body.offers.map((o) => [o.item, o.reason]), [['sku-0', 'popular'], ['sku-1', 'popular'], ['sku-2', 'popular']]);
  assert.equal((await offers(app, { subject: 'nobody-at-all', k: 3 })).body.note, 'unknown_subject');

  // k bounds, scope.
  for (const k of [0, 101, 1.5]) {
    const bad = await offers(app, { subject: 'alice', k });
    assert.equal(bad.status, 400, `k=${k}`);
    assert.equal(bad.body.code, 'IOB_ERR_VALIDATION');
    assert.ok(bad.body.problems?.some((p) => p.path === 'body.k'), JSON.stringify(bad.body.problems));
  }
  assert.equal((await offers(app, { subject: 'alice' }, bearer('ingest'))).status, 403);
  assert.equal((await offers(app, { subject: 'alice', k: 100 })).body.offers.length > 0, true);

  // Filters: out of stock, not yet eligible, no longer eligible, exclude, already purchased.
  const day = 86_400_000;
  const put = await putCatalog(app, {
    items: [
      { id: 'sku-0', category: 'tops', price: 10, in_stock: false },
      { id: 'sku-1', category: 'tops', price: 10, eligible_from: new Date(Date.now() + day).toISOString() },
      { id: 'sku-2', category: 'tops', eligible_until: new Date(Date.now() - day).toISOString() },
      ...[20, 21, 22, 23, 24].map((i) => ({ id: `sku-${i}`, category: 'bags', price: 5 })),
    ],
  });
  assert.equal(put.statusCode, 200, put.body);
  assert.deepEqual(put.json(), { mode: 'upsert', items: 8, added: 8, updated: 0, unchanged: 0, removed: 0 });
  await engine.catalog.waitFor(() => engine.catalog.size === 8);
  const filtered = await offers(app, { subject: 'bob', k: 3, exclude: ['sku-3'] });
  assert.deepEqual(filtered.body.offers.map((o) => o.item), ['sku-4', 'sku-5', 'sku-6'], 'sku-0…2 filtered by the catalog, sku-3 excluded; sku-4… not listed: valid');
  // Business value: a margin and price lift an item the behavior signals rank close to others.
  assert.equal((await putCatalog(app, { items: [{ id: 'sku-30', price: 100, margin: 0.5 }] })).statusCode, 200);
  await engine.catalog.waitFor(() => engine.catalog.get('sku-30') !== undefined);
  const valued = await offers(app, { subject: 'bob', k: 3, exclude: ['sku-3'] });
  assert.deepEqual(valued.body.offers.map((o) => [o.item, o.reason]), [['sku-30', 'popular'], ['sku-4', 'popular'], ['sku-5', 'popular']]);
  await ingest(engine, [event('alice', 's1', 'purchase', 'sku-12', { price: 10, quantity: 1 })]);
  const afterPurchase = await offers(app, { subject: 'alice', session: 's1', k: 10 });
  assert.ok(!afterPurchase.body.offers.some((o) => o.item === 'sku-12'), 'already purchased');
  assert.ok(!afterPurchase.body.offers.some((o) => ['sku-0', 'sku-1', 'sku-2'].includes(o.item)));

  // The session's categories: items trending in them.
  const c = await offers(app, { subject: 'carol', session: 'sc', k: 5 });
  assert.equal(c.body.personalized, true);
  assert.deepEqual(c.body.offers.map((o) => [o.item, o.reason]), [20, 21, 22, 23, 24].map((i) => [`sku-${i}`, 'trending_in_category']));

  // Exploration: a propensity per offer; ε = 0 is the greedy list with propensity 1.
  const greedy = await offers(app, { subject: 'alice', session: 's1', k: 5, context: { explore: 'epsilon', epsilon: 0 } });
  assert.deepEqual(greedy.body.offers.map((o) => o.item), afterPurchase.body.offers.slice(0, 5).map((o) => o.item));
  assert.ok(greedy.body.offers.every((o) => o.propensity === 1));
  const explored = await offers(app, { subject: 'alice', session: 's1', k: 5, context: { explore: 'epsilon', epsilon: 0.5 } });
  assert.equal(explored.body.offers.length, 5);
  assert.equal(new Set(explored.body.offers.map((o) => o.item)).size, 5);
  assert.ok(explored.body.offers.every((o) => o.propensity! > 0 && o.propensity! <= 1));

  // Sec-GPC: 1 opts the subject out (and records it): the popular fallback.
  const gpc = await offers(app, { subject: 'carol', k: 3 }, { ...bearer('score'), 'sec-gpc': '1' });
  assert.equal(gpc.body.personalized, false);

  const models = await app.inject({ method: 'GET', url: '/v1/models', headers: bearer('admin') });
  assert.equal(models.json().offers.serving, 'v1');
  const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
  assert.ok(doc.paths['/v1/offers'] && doc.paths['/v1/catalog'], 'documented in OpenAPI');
});

test('catalog: PUT validation names row and field; upsert and replace reach a second engine', async (t) => {
  const { app, engine } = await startTestStack(t);
  const bad = await putCatalog(app, { items: [{ id: 'ok' }, { id: 'x', price: -1 }, { id: 'y', in_stock: 'yes' }] });
  assert.equal(bad.statusCode, 400);
  const paths = bad.json<{ problems: Array<{ path: string }> }>().problems.map((p) => p.path);
  assert.ok(paths.includes('body.items.1.price') && paths.includes('body.items.2.in_stock'), paths.join());
  assert.equal(engine.catalog.size, 0, 'nothing written');
  const dup = await putCatalog(app, { items: [{ id: 'a' }, { id: 'a' }] });
  assert.equal(dup.statusCode, 400);
  assert.equal(dup.json().problems[0].path, 'body.items.1.id');
  const unknownField = await putCatalog(app, { items: [{ id: 'a', colour: 'red' }] });
  assert.equal(unknownField.statusCode, 400);
  assert.equal((await app.inject({ method: 'PUT', url: '/v1/catalog', headers: bearer('score'), payload: { items: [{ id: 'a' }] } })).statusCode, 403);

  const dataDir = tempDir(t, 'iob-data2-');
  const config = loadConfig({}, { natsUrl: engine.natsUrl, dataDir, apiKeys: TEST_KEYS, logLevel: 'error' });
  const other = await startEngine({ config, log: createLogger('error'), consume: false });
  defer(t, () => other.close());

  assert.equal((await putCatalog(app, { items: [{ id: 'a', price: 1 }, { id: 'b', category: 'c' }] })).statusCode, 200);
  await other.catalog.waitFor(() => other.catalog.get('a')?.price === 1 && other.catalog.get('b')?.category === 'c');
  assert.equal(other.catalog.get('b')?.in_stock, true, 'in_stock defaults to true');
  const again = await putCatalog(app, { items: [{ id: 'a', price: 2 }, { id: 'b', category: 'c' }] });
  assert.deepEqual(again.json(), { mode: 'upsert', items: 2, added: 0, updated: 1, unchanged: 1, removed: 0 });
  await other.catalog.waitFor(() => other.catalog.get('a')?.price === 2);
  const replaced = await putCatalog(app, { mode: 'replace', items: [{ id: 'c' }] });
  assert.equal(replaced.json().removed, 2);
  await other.catalog.waitFor(() => other.catalog.size === 1 && other.catalog.get('c') !== undefined);
});

test('offers state: in the export, purged on withdrawal and on erasure', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  await registerStoreOffersModel(registry, 'v1', { promote: true });
  const { app, engine } = await startTestStack(t, {}, { registry });
  await grantPersonalization(engine, 'erin', 'finn');
  await engine.subjects.updateConsent('gus', { purposes: { personalization: false }, source: 'test', at: 0 }, 'test');
  await ingest(engine, [event('erin', 'se', 'view', 'sku-5', { category: 'shoes' }), event('finn', 'sf', 'view', 'sku-6'), event('gus', 'sg', 'view', 'sku-7')]);
  const sidOf = (s: string) => engine.pseudonymize('subject', s);
  assert.equal(engine.recentItems.get(sidOf('gus')), undefined, 'not admitted without personalization consent');

  const exp = await app.inject({ url: '/v1/subjects/erin/export', headers: bearer('admin') });
  const recent = exp.json<{ recentItems: { items: Array<{ item: string; type: string }>; sessionCategories: string[][] } }>().recentItems;
  assert.deepEqual(recent.items.map((i) => [i.item, i.type]), [['sku-5', 'view']]);
  assert.deepEqual(recent.sessionCategories, [['shoes']]);
  assert.equal((await offers(app, { subject: 'erin' })).body.personalized, true);

  await app.inject({ method: 'PUT', url: '/v1/consent/erin', headers: bearer('consent'), payload: { purposes: { personalization: false }, source: 'cmp' } });
  const deadline = Date.now() + 5000;
  while (engine.recentItems.get(sidOf('erin')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(engine.recentItems.get(sidOf('erin')), undefined, 'purged on withdrawal');

  const erased = await app.inject({ method: 'DELETE', url: '/v1/subjects/finn', headers: bearer('admin') });
  assert.equal(erased.statusCode, 200, erased.body);
  assert.ok(erased.json().purged.recentItems > 0);
  assert.equal(engine.recentItems.get(sidOf('finn')), undefined, 'purged on erasure');
});

test('offers: 503 until a version loads, then a promoted version takes over without a restart', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  const { app, engine } = await startTestStack(t, {}, { registry, modelPollMs: 100 });
  const none = await offers(app, { subject: 'hal' });
  assert.equal(none.status, 503);
  assert.equal(none.body.code, 'IOB_ERR_OFFERS_UNAVAILABLE');
  await grantPersonalization(engine, 'hal');

  await registerStoreOffersModel(registry, 'v1', { promote: true });
  const waitFor = async (version: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await offers(app, { subject: 'hal', k: 1 });
      if (r.status === 200 && r.body.modelVersion === version) return r.body;
      assert.ok(Date.now() < deadline, `version ${version} never served: ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  assert.equal((await waitFor('v1')).offers[0]!.item, 'sku-0');
  // v2: popularity reversed, so the popular fallback changes.
  const tables = offerTables();
  tables.popularity.reverse();
  await registerStoreOffersModel(registry, 'v2', { tables });
  await promote(registry, 'offers', 'v2');
  assert.equal((await waitFor('v2')).offers[0]!.item, `sku-${tables.items.length - 1}`);
});
