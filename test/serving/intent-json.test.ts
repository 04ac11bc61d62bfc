/** The hand-written serializer of POST /v1/intent answers writes exactly what JSON.stringify would. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intentAnswerJson } from '../../serving/routes/intent.ts';
import { IntentResponseSchema } from '../../serving/schemas.ts';
import type { IntentAnswer } from '../../serving/intent-service.ts';

const ANSWERS: IntentAnswer[] = [
  {
    score: 0.42101756690868264,
    modelVersion: '20261129T023617Z-4ceb7f55',
    personalized: true,
    reasons: [
      { feature: 'subject.view_count_30d', direction: 'down', contribution: -0.6693062047832247 },
      { feature: 'session.event_count', direction: 'up', contribution: 5e-324 },
      { feature: 'session.views_per_minute', direction: 'up', contribution: 1.5e21 },
    ],
  },
  { score: 0, modelVersion: 'v"1\\\u2028', personalized: true, reasons: [{ feature: 'x', direction: 'down', contribution: -0 }] },
  { score: 1, modelVersion: 'bench-v1', personalized: false, reasons: [], note: 'no_consent' },
  { score: 0.031, modelVersion: 'bench-v1', personalized: false, reasons: [], note: 'unknown_subject' },
  // Not a calibrated probability: the fallback writes what JSON.stringify writes.
  { score: NaN, modelVersion: 'broken', personalized: true, reasons: [] },
];

test('intentAnswerJson equals JSON.stringify on personalized, base-rate and odd answers', () => {
  for (const a of ANSWERS) assert.equal(intentAnswerJson(a), JSON.stringify(a));
});

test('what it writes parses as the documented response', () => {
  for (const a of ANSWERS.filter((a) => Number.isFinite(a.score))) assert.ok(IntentResponseSchema.safeParse(JSON.parse(intentAnswerJson(a))).success);
});
