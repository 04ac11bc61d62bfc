/**
 * The demo's consent mix: one shopper in five keeps the default (no consent), chosen by id, and the shopper
 * the README's quick start scores is a consented one (so its curl examples answer `personalized: true`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { demoDeniesConsent } from '../../cli/start.ts';
import { generateBehavior } from '../../datasets/generate.ts';

test("the README's example shopper is in the demo data and consented; one shopper in five is not", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  // the quick start's scoring examples: a curl to /v1/intent or /v1/offers, its body on the next line
  const examples = [...readme.matchAll(/\/v1\/(?:intent|offers) [^\n]*\n\s*-d '\{"subject":"([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(examples.length >= 2, 'the quick start has intent and offers examples');
  const subjects = new Set<string>();
  for (const e of generateBehavior({ subjects: 2000, days: 14, seed: 1 })) subjects.add(e.subject);
  for (const s of examples) {
    assert.ok(subjects.has(s), `${s} is a demo shopper`);
    assert.equal(demoDeniesConsent(s), false, `${s} is consented in the demo`);
  }
  const denied = [...subjects].filter(demoDeniesConsent).length;
  assert.ok(Math.abs(denied / subjects.size - 0.2) < 0.03, `${denied} of ${subjects.size} keep the default`);
});
