/**
 * POST /v1/intent against a real engine (test nats-server) and a real model registry: consent on every
 * request, reasons named after store features, parity with the forward pass and TF.js, hot reload under
 * load with zero failed requests, a broken version reported while the previous one keeps serving.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine/index.ts';
import { loadIntentForward } from '../../models/intent/load.ts';
import { loadIntentTfModel, tfPredictScores } from '../../models/intent/tf-model.ts';
import { promote, registerVersion, rollback, versionDir } from '../../models/registry.ts';
import { WEIGHTS_BIN } from '../../models/weights-file.ts';
import { bearer, grantPersonalization, startTestStack, type TestStack } from '../helpers/engine.ts';
import { tempDir } from '../helpers/nats.ts';
import { registerStoreIntentModel } from '../models/store-intent-model.ts';

interface IntentBody {
  score: number;
  modelVersion: string;
  personalized: boolean;
  reasons: Array<{ feature: string; direction: 'up' | 'down'; contribution: number }>;
  note?: string;
}

const intent = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = bearer('score')) =>
  app.inject({ method: 'POST', url: '/v1/intent', headers, payload: payload as object });

async function ingest(engine: Engine, events: Array<Record<string, unknown>>): Promise<void> {
  const report = await engine.ingest(events);
  assert.equal(report.accepted, events.length, JSON.stringify(report.results.filter((r) => r.status !== 'accepted')));
  await engine.waitForSeq(report.lastSeq, 10_000);
}

/** A shopper's recent session: views, a cart add, no purchase yet. */
function session(subject: string, sessionId: string, start: number): Array<Record<string, unknown>> {
  const types = ['view', 'view', 'view', 'cart_add', 'view'];
  return types.map((type, i) => ({ id: `${subject}-${sessionId}-${i}`, ts: start + i * 30_000, subject, session: sessionId, type, item: `sku-${i}`, price: 10 + i, quantity: 1 }));
}

async function stackWithModel(t: TestContext, scoreBatch?: number): Promise<TestStack & { registry: string }> {
  const registry = tempDir(t, 'iob-registry-');
  await registerStoreIntentModel(registry, 'v1', { seed: 1, promote: true });
  const stack = await startTestStack(t, {}, { registry, modelPollMs: 100, scoreBatch });
  const start = Date.now() - 10 * 60_000;
  await grantPersonalization(stack.engine, 'alice', 'dave');
  await stack.engine.subjects.updateConsent('bob', { purposes: { personalization: false }, source: 'test', at: 0 }, 'test');
  await ingest(stack.engine, [...session('alice', 's1', start), ...session('bob', 'sb', start), ...session('dave', 'sd', start)]);
  return { ...stack, registry };
}

test('POST /v1/intent: personalized with consent, base rate without, never a 5xx; scope and body checked', async (t) => {
  const { app, engine, registry } = await stackWithModel(t);
  const storeNames = new Set([...engine.features.featureNames('subject'), ...engine.features.featureNames('session')]);

  const res = await intent(app, { subject: 'alice', session: 's1' });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<IntentBody>();
  assert.equal(body.modelVersion, 'v1');
  assert.equal(body.personalized, true);
  assert.equal(body.note, undefined);
  assert.ok(body.score > 0 && body.score < 1);
  assert.ok(body.reasons.length > 0 && body.reasons.length <= 3);
  for (const r of body.reasons) {
    assert.ok(storeNames.has(r.feature), `${r.feature} is a store feature`);
    assert.equal(r.direction, r.contribution > 0 ? 'up' : 'down');
  }
  const magnitudes = body.reasons.map((r) => Math.abs(r.contribution));
  assert.deepEqual(magnitudes, [...magnitudes].sort((a, b) => b - a), 'largest first');
  // reasons: false answers the same score without the attribution.
  const bare = await intent(app, { subject: 'alice', session: 's1', reasons: false });
  assert.deepEqual(bare.json(), { ...body, reasons: [] });

  // Parity: the route's score is the forward pass (and TF.js model.predict) on the same named vector.
  const dir = versionDir(registry, 'intent', 'v1');
  const { card, forward } = await loadIntentForward(dir);
  const records = engine.subjectFeatures('alice', 's1');
  assert.ok(records.session['session.cart_adds']! >= 1, 'the session was applied');
  const row = card.features.map((f) => (f.startsWith('session.') ? records.session[f] : records.subject[f])!);
  assert.equal(body.score, forward.score(row));
  const tfModel = await loadIntentTfModel(dir);
  const predicted = tfPredictScores(tfModel, { standardization: card.normalization, calibration: card.calibration, encoding: card.encoding }, { data: Float32Array.from(row), rows: 1, cols: row.length });
  tfModel.dispose();
  assert.ok(Math.abs(predicted[0]! - body.score) < 1e-5, `${predicted[0]} vs ${body.score}`);

  const baseRate = card.training.positives / card.training.rows;
  const denied = (await intent(app, { subject: 'bob' })).json<IntentBody>();
  assert.deepEqual(denied, { score: baseRate, modelVersion: 'v1', personalized: false, reasons: [], note: 'no_consent' });
  const unknown = await intent(app, { subject: 'nobody-at-all', session: 'x' });
  assert.equal(unknown.statusCode, 200);
  assert.deepEqual(unknown.json(), { score: baseRate, modelVersion: 'v1', personalized: false, reasons: [], note: 'unknown_subject' });
  // Consent granted but nothing held yet: still not personalized.
  await grantPersonalization(engine, 'erin');
  assert.equal((await intent(app, { subject: 'erin' })).json<IntentBody>().note, 'unknown_subject');
  // Sec-GPC: 1 is an opt-out: this answer and the recorded consent.
  const gpc = (await intent(app, { subject: 'dave', session: 'sd' }, { ...bearer('score'), 'sec-gpc': '1' })).json<IntentBody>();
  assert.equal(gpc.personalized, false);
  assert.equal(gpc.note, 'no_consent');
  assert.equal((await app.inject({ method: 'GET', url: '/v1/consent/dave', headers: bearer('admin') })).json<{ purposes: { personalization: boolean } }>().purposes.personalization, false);

  const forbidden = await intent(app, { subject: 'alice' }, bearer('ingest'));
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().code, 'IOB_ERR_FORBIDDEN');
  assert.equal((await intent(app, { subject: 'alice' }, {})).json().code, 'IOB_ERR_UNAUTHORIZED');

  for (const [payload, path] of [
    [{}, 'body.subject'],
    [{ subject: 5 }, 'body.subject'],
    [{ subject: 'alice', session: '' }, 'body.session'],
    [{ subject: 'alice', reasons: 'no' }, 'body.reasons'],
  ] as const) {
    const bad = await intent(app, payload);
    assert.equal(bad.statusCode, 400);
    const error = bad.json<{ code: string; problems: Array<{ path: string }> }>();
    assert.equal(error.code, 'IOB_ERR_VALIDATION');
    assert.deepEqual(error.problems.map((p) => p.path), [path]);
  }

  const record = (await app.inject({ method: 'GET', url: '/v1/processing-record', headers: bearer('admin') })).json<{ models: Array<{ name: string; purpose: string; features: string[] }> }>();
  const declared = record.models.find((m) => m.name.startsWith('purchase intent'));
  assert.equal(declared?.purpose, 'personalization');
  for (const f of card.features) assert.ok(declared!.features.includes(f), `${f} is declared`);

  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> }>();
  assert.ok(doc.paths['/v1/intent']?.post?.requestBody);
  assert.ok(doc.paths['/v1/intent']!.post!.responses['503']);
});

for (const scoreBatch of [undefined, 1]) test(`requests that arrive together are scored together (serving/turn-batch.ts), each answered for its own subject; IOB_SCORE_BATCH ${scoreBatch ?? 'default'}`, async (t) => {
  const { app } = await stackWithModel(t, scoreBatch);
  const requests: Array<[unknown, Record<string, string>?]> = [
    [{ subject: 'alice', session: 's1' }],
    [{ subject: 'bob' }],
    [{ subject: 'dave', session: 'sd', reasons: false }],
    [{ subject: 'nobody-at-all' }],
    [{ subject: 'alice', session: 's1', reasons: false }],
    [{ subject: 'dave', session: 'sd' }],
    [{ subject: 5 }],
    [{ subject: 'alice' }, bearer('ingest')],
    [{ subject: 'dave' }],
    // more than a batch holds (8) reach the scoring: the eighth runs a batch at once, the rest form the next
    [{ subject: 'bob', session: 'sb' }],
    [{ subject: 'erin-unknown', session: 's9' }],
    [{ subject: 'alice', session: 's1' }],
  ];
  const alone = [];
  for (const [payload, headers] of requests) alone.push(await intent(app, payload, headers));
  const together = await Promise.all(requests.map(([payload, headers]) => intent(app, payload, headers)));
  // The same answers as when each came alone (errors carry their own request id).
  const answer = (r: { statusCode: number; json(): Record<string, unknown> }) => [r.statusCode, { ...r.json(), requestId: undefined }];
  assert.deepEqual(together.map(answer), alone.map(answer));
  assert.deepEqual(together.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200, 400, 403, 200, 200, 200, 200]);
  const bodies = together.map((r) => r.json<IntentBody>());
  assert.deepEqual(bodies.slice(0, 4).map((b) => [b.personalized, b.note, b.reasons.length > 0]), [
    [true, undefined, true],
    [false, 'no_consent', false],
    [true, undefined, false],
    [false, 'unknown_subject', false],
  ]);
});

test('a promoted version takes over while requests run, with zero failed requests; rollback too', async (t) => {
  const { app, registry } = await stackWithModel(t);
  await registerStoreIntentModel(registry, 'v2', { seed: 2 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/intent`;
  const init = { method: 'POST', headers: { ...bearer('score'), 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'alice', session: 's1' }) };

  let stop = false;
  let failed = 0;
  const seen: string[][] = [[], [], [], []];
  const scores = new Map<string, number>();
  const workers = seen.map(async (mine) => {
    while (!stop) {
      const res = await fetch(url, init).catch(() => undefined);
      if (res?.status !== 200) {
        failed++;
        continue;
      }
      const body = (await res.json()) as IntentBody;
      if (mine.at(-1) !== body.modelVersion) mine.push(body.modelVersion);
      scores.set(body.modelVersion, body.score);
    }
  });
  const waitFor = async (version: string) => {
    const started = Date.now();
    while (!seen.every((w) => w.at(-1) === version)) {
      assert.ok(Date.now() - started < 10_000, `every worker answered by ${version}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor('v1');
  await promote(registry, 'intent', 'v2');
  await waitFor('v2');
  await rollback(registry, 'intent');
  await waitFor('v1');
  stop = true;
  await Promise.all(workers);

  assert.equal(failed, 0);
  for (const w of seen) assert.deepEqual(w, ['v1', 'v2', 'v1'], 'each worker saw v1, then only v2, then only v1');
  assert.notEqual(scores.get('v1'), scores.get('v2'), 'the versions score differently');
});

test('a version that fails to load leaves the previous one serving, and the failure is reported', async (t) => {
  const { app, registry, logs } = await stackWithModel(t);
  const status = async () => (await app.inject({ method: 'GET', url: '/v1/models', headers: bearer('admin') })).json<{ intent: { serving: string; pointer: string; failure: { version: string; message: string } | null } }>().intent;
  const waitForFailure = async (version: string) => {
    const started = Date.now();
    while ((await status()).failure?.version !== version) {
      assert.ok(Date.now() - started < 10_000, `failure of ${version} reported`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return status();
  };
  assert.deepEqual({ ...(await status()), loadedAt: undefined }, { task: 'intent', serving: 'v1', loadedAt: undefined, pointer: 'v1', failure: null });

  // Truncated weights.
  const broken = await registerStoreIntentModel(registry, 'v-broken', { seed: 3 });
  writeFileSync(join(broken, WEIGHTS_BIN), readFileSync(join(broken, WEIGHTS_BIN)).subarray(0, 64));
  await promote(registry, 'intent', 'v-broken');
  let s = await waitForFailure('v-broken');
  assert.equal(s.serving, 'v1');
  assert.equal(s.pointer, 'v-broken');
  assert.match(s.failure!.message, /too short/);
  assert.equal((await intent(app, { subject: 'alice', session: 's1' })).json<IntentBody>().modelVersion, 'v1');
  assert.ok(logs.some((l) => l.includes('failed to load') && l.includes('v-broken')));

  // A card naming a feature the online store does not hold: a load-time error, not a wrong score.
  await registerStoreIntentModel(registry, 'v-alien', { seed: 4, features: ['subject.view_count_24h', 'subject.shoe_size'] });
  await promote(registry, 'intent', 'v-alien');
  s = await waitForFailure('v-alien');
  assert.match(s.failure!.message, /features the online store does not hold: subject\.shoe_size/);
  assert.equal((await intent(app, { subject: 'alice', session: 's1' })).statusCode, 200);

  // A folder without files at all.
  await registerVersion(registry, 'intent', 'v-empty', async () => {});
  await promote(registry, 'intent', 'v-empty');
  s = await waitForFailure('v-empty');
  assert.match(s.failure!.message, /ENOENT/);
  assert.equal(s.serving, 'v1');

  // Promoting a good version clears the failure.
  await registerStoreIntentModel(registry, 'v5', { seed: 5, promote: true });
  const started = Date.now();
  while ((await status()).serving !== 'v5') {
    assert.ok(Date.now() - started < 10_000);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await status()).failure, null);
});

test('no model promoted: 503 IOB_ERR_MODEL_UNAVAILABLE, then the first promotion serves without a restart', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  const { app } = await startTestStack(t, {}, { registry, modelPollMs: 100 });
  const res = await intent(app, { subject: 'alice' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().code, 'IOB_ERR_MODEL_UNAVAILABLE');
  // Requests scored in one batch each get the error, with its own request id.
  const together = await Promise.all(['alice', 'bob', 'carol'].map((subject) => intent(app, { subject })));
  assert.deepEqual(together.map((r) => [r.statusCode, r.json().code]), Array(3).fill([503, 'IOB_ERR_MODEL_UNAVAILABLE']));
  assert.equal(new Set(together.map((r) => r.json().requestId)).size, 3);
  await registerStoreIntentModel(registry, 'first', { promote: true });
  const started = Date.now();
  while ((await intent(app, { subject: 'alice' })).statusCode !== 200) {
    assert.ok(Date.now() - started < 10_000, 'served within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await intent(app, { subject: 'alice' })).json<IntentBody>().modelVersion, 'first');
});

test('inputs of binned features are clamped to the training range before the forward pass', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  const dir = await registerStoreIntentModel(registry, 'binned', { bins: 4, binned: 99, promote: true });
  const { app, engine } = await startTestStack(t, {}, { registry, modelPollMs: 100 });
  await grantPersonalization(engine, 'alice');
  const start = Date.now() - 20 * 60_000;
  await ingest(engine, Array.from({ length: 40 }, (_, i) => ({ id: `busy-${i}`, ts: start + i * 15_000, subject: 'alice', session: 's1', type: 'view', item: `sku-${i}` })));

  const { card, forward } = await loadIntentForward(dir);
  const records = engine.subjectFeatures('alice', 's1');
  const raw = card.features.map((f) => (f.startsWith('session.') ? records.session[f] : records.subject[f])!);
  const clamped = raw.map((v, i) => {
    const edges = card.encoding.columns.find((c) => c.column === i)?.edges;
    return edges ? Math.min(Math.max(v, edges[0]!), edges.at(-1)!) : v;
  });
  assert.notDeepEqual(raw, clamped, "forty views lie past the fixture's training range");
  const body = (await intent(app, { subject: 'alice', session: 's1' })).json<IntentBody>();
  assert.equal(body.personalized, true);
  assert.equal(body.score, forward.score(clamped));
  assert.notEqual(forward.score(raw), forward.score(clamped));
});

test("a person's export names the model version that uses their data and its purposes; an erasure has no stored score to purge", async (t) => {
  const { app } = await stackWithModel(t);
  const alice = (await app.inject({ url: '/v1/subjects/alice/export', headers: bearer('admin') })).json();
  assert.deepEqual(alice.models.map((m: { task: string; version: string; purposes: string[] }) => [m.task, m.version, m.purposes]), [['intent', 'v1', ['personalization']]]);
  assert.match(alice.models[0].use, /on request/);
  const bob = (await app.inject({ url: '/v1/subjects/bob/export', headers: bearer('admin') })).json();
  assert.match(bob.models[0].use, /not used/, 'without consent the model does not use the person');
  const receipt = (await app.inject({ method: 'DELETE', url: '/v1/subjects/alice', headers: bearer('admin') })).json();
  assert.equal(receipt.purged.models, 0);
});
