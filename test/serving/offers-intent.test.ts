/**
 * Purchase intent in the offers ranking (serving/offers-service.ts with serving/intent-service.ts): a real
 * engine (test nats-server), a registry holding an offers model with a bought-together pair and an intent
 * model. The intent lift (score over base rate, capped) multiplies exactly the bought-together term: the
 * complement's score moves by weight × (lift − 1), every other offer keeps its score; without consent, or
 * with `Sec-GPC: 1`, there is no intent and the answer is the popular fallback as before.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, loadConfig, startEngine } from '../../engine/index.ts';
import { DEFAULT_RANKING } from '../../models/offers/index.ts';
import { sparseRows } from '../../models/offers/tables.ts';
import { createIntentService } from '../../serving/intent-service.ts';
import { createOffersService, MAX_INTENT_LIFT } from '../../serving/offers-service.ts';
import { grantPersonalization } from '../helpers/engine.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';
import { registerStoreIntentModel } from '../models/store-intent-model.ts';
import { offerTables, registerStoreOffersModel } from '../offers/store-offers-model.ts';

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
const BOUGHT_WEIGHT = 0.5;

test('intent lift scales the bought-together complement and nothing else; no intent without consent', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  const base = offerTables();
  // sku-11 is bought together with sku-30 (nothing else links them).
  const tables = { ...base, bought: sparseRows(base.items.map((_, i) => (i === 11 ? [[30, 1] as const] : []))) };
  await registerStoreOffersModel(registry, 'o1', { promote: true, tables, ranking: { ...DEFAULT_RANKING, weights: { ...DEFAULT_RANKING.weights, bought: BOUGHT_WEIGHT } } });
  await registerStoreIntentModel(registry, 'i1', { seed: 5, promote: true, baseRate: 0.05 });
  const nats = await startTestNats(t);
  const engine = await startEngine({ config: loadConfig({}, { natsUrl: nats.url, dataDir: tempDir(t), pseudonymKey: 'i'.repeat(32) }), log: quiet() });
  defer(t, () => engine.close());
  await grantPersonalization(engine, 'alice');
  const start = Date.now() - 5 * 60_000;
  const events = ['sku-3', 'sku-7', 'sku-10', 'sku-11'].map((item, i) => ({ id: `a${i}`, ts: start + i * 20_000, subject: 'alice', session: 's1', type: i === 2 ? 'cart_add' : 'view', item, price: 20, quantity: 1 }));
  const report = await engine.ingest(events);
  await engine.waitForSeq(report.lastSeq, 10_000);

  const log = quiet();
  const intent = await createIntentService({ engine, registry, log });
  const withIntent = await createOffersService({ engine, registry, log, intent });
  const without = await createOffersService({ engine, registry, log });
  defer(t, () => [intent, withIntent, without].forEach((s) => s.close()));

  const scored = intent.score('alice', 's1', false);
  assert.equal(scored.personalized, true);
  const lift = Math.min(MAX_INTENT_LIFT, scored.score / intent.current()!.baseRate);
  // Seed 5 scores this visitor about half as likely to buy as the average one (lift ≈ 0.48): complements weigh less.
  assert.ok(Math.abs(lift - 1) > 0.2, `the fixture's visitor is not average (lift ${lift})`);

  const request = { subject: 'alice', session: 's1', k: 40 };
  const a = withIntent.offers(request, false);
  const b = without.offers(request, false);
  assert.equal(a.personalized, true);
  const scoreOf = (answer: typeof a) => new Map(answer.offers.map((o) => [o.item, o]));
  const sa = scoreOf(a);
  const sb = scoreOf(b);
  assert.ok(sa.has('sku-30') && sb.has('sku-30'));
  assert.ok(Math.abs(sa.get('sku-30')!.score - sb.get('sku-30')!.score - BOUGHT_WEIGHT * (lift - 1)) < 1e-6);
  for (const [item, o] of sb) if (item !== 'sku-30') assert.ok(Math.abs(sa.get(item)!.score - o.score) < 1e-9, item);
  // The complement moves in the order in the direction of the intent.
  const rank = (answer: typeof a) => answer.offers.findIndex((o) => o.item === 'sku-30');
  assert.ok(lift > 1 ? rank(a) <= rank(b) : rank(a) >= rank(b));

  // Sec-GPC: no personalization, so no intent either: the same popular fallback from both services.
  assert.deepEqual(withIntent.offers(request, true), without.offers(request, true));
  assert.equal(withIntent.offers(request, true).personalized, false);
});
