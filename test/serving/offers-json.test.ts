/** The hand-written serializer of POST /v1/offers answers writes exactly what JSON.stringify would. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonString } from '../../serving/json-text.ts';
import type { OffersAnswer } from '../../serving/offers-service.ts';
import { offersAnswerJson } from '../../serving/routes/offers.ts';
import { OffersResponseSchema } from '../../serving/schemas.ts';

const REASONS = ['similar_to_viewed', 'bought_together', 'trending_in_category', 'popular'] as const;

const offer = fc.record(
  { item: fc.string({ unit: 'binary', maxLength: 24 }), score: fc.double(), reason: fc.constantFrom(...REASONS), propensity: fc.double({ min: 0, max: 1 }) },
  { requiredKeys: ['item', 'score', 'reason'] },
);
const answer = fc.record(
  { offers: fc.array(offer, { maxLength: 12 }), personalized: fc.boolean(), modelVersion: fc.string({ unit: 'binary', maxLength: 30 }), note: fc.constantFrom('no_consent', 'unknown_subject', 'unknown_items') },
  { requiredKeys: ['offers', 'personalized', 'modelVersion'] },
) as fc.Arbitrary<OffersAnswer>;

test('offersAnswerJson equals JSON.stringify on arbitrary answers (any strings, any doubles)', () => {
  fc.assert(fc.property(answer, (a) => offersAnswerJson(a) === JSON.stringify(a)), { numRuns: 3000, seed: 7 });
});

test('jsonString equals JSON.stringify on quotes, escapes, control characters and surrogates', () => {
  for (const s of ['', 'sku-1', 'a"b', 'back\\slash', 'tab\tnew\nline', '\u0000\u001f\u007f', '\u2028\u2029', '😀', '\ud800', 'x\udfffy', 'é']) assert.equal(jsonString(s), JSON.stringify(s));
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => jsonString(s) === JSON.stringify(s)), { numRuns: 3000, seed: 3 });
});

test('what it writes parses as the documented response', () => {
  const a: OffersAnswer = { offers: [{ item: 'sku-7', score: 1.25, reason: 'bought_together', propensity: 0.91 }, { item: 'sku-"9"', score: -0, reason: 'popular' }], personalized: true, modelVersion: 'v1' };
  assert.ok(OffersResponseSchema.safeParse(JSON.parse(offersAnswerJson(a))).success);
  assert.equal(offersAnswerJson(a), JSON.stringify(a));
});
