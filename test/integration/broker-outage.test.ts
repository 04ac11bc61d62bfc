import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { openForecastStore, type ForecastDocument } from '../../engine/index.ts';
import { waitUntil } from '../helpers/cli-process.ts';
import { bearer, grantPersonalization, startTestStack } from '../helpers/engine.ts';
import { defer, tempDir } from '../helpers/nats.ts';
import { registerStoreIntentModel } from '../models/store-intent-model.ts';

test('broker outage: readiness turns false, ingest answers 503 with Retry-After, scoring answers from memory (Sec-GPC honoured without waiting), and all recover', async (t) => {
  const registry = tempDir(t, 'iob-registry-');
  await registerStoreIntentModel(registry, 'v1', { seed: 1, promote: true });
  const { engine, app, stopNats } = await startTestStack(t, {}, { registry, modelPollMs: 100 });
  await grantPersonalization(engine, 'u1');
  const post = (id: string) =>
    app.inject({ method: 'POST', url: '/v1/events', headers: bearer('ingest'), payload: { events: [{ id, ts: Date.now(), subject: 'u1', type: 'view' }] } });

  const score = () => app.inject({ method: 'POST', url: '/v1/intent', headers: bearer('score'), payload: { subject: 'u1' } });
  assert.equal((await post('before')).statusCode, 200);
  await engine.waitForSeq(1, 10_000);
  const scoredBefore = await score();
  assert.equal(scoredBefore.statusCode, 200, scoredBefore.body);
  assert.equal(scoredBefore.json().personalized, true);
  const restartNats = await stopNats();
  await waitUntil(() => !engine.isReady(), 5000, 'the engine to notice the outage');

  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.json().ready, false);
  const during = await post('during');
  assert.equal(during.statusCode, 503);
  assert.equal(during.json().code, 'IOB_ERR_UNAVAILABLE');
  assert.equal(during.headers['retry-after'], '1');
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'liveness is not readiness');
  // Scoring reads the model and the features from memory: it keeps answering, with the same score.
  const scoredDuring = await score();
  assert.equal(scoredDuring.statusCode, 200, scoredDuring.body);
  assert.equal(scoredDuring.json().score, scoredBefore.json().score);
  assert.equal(scoredDuring.json().personalized, true);
  // Sec-GPC: 1 cannot be recorded now; the answer honours it at once instead of waiting for the store.
  const optedOut = await app.inject({ method: 'POST', url: '/v1/intent', headers: { ...bearer('score'), 'sec-gpc': '1' }, payload: { subject: 'u1' } });
  assert.equal(optedOut.statusCode, 200, optedOut.body);
  assert.equal(optedOut.json().personalized, false);
  assert.equal(optedOut.json().note, 'no_consent');
  assert.equal(engine.consent.allowed(engine.pseudonymize('subject', 'u1'), 'personalization'), true, 'nothing recorded during the outage');

  await restartNats();
  await waitUntil(() => engine.isReady(), 10_000, 'the engine to reconnect');
  const after = await post('after');
  assert.equal(after.statusCode, 200);
  const seq = after.json().results[0].seq;
  assert.equal(seq, 2, 'the stream survived the restart and nothing was written during the outage');
  await engine.waitForSeq(seq, 10_000);
  assert.equal(engine.features.readRecord('subject', engine.pseudonymize('subject', 'u1'))['subject.view_count_1h'], 2);
  // With the store back, the next Sec-GPC request records the opt-out, and this process reads its own write
  // at once: the consent watch was re-made on the reconnect (engine/kv-follower.ts). Before, it waited for
  // nats.js to miss the old watch's heartbeats, ~12 s, and kept personalizing meanwhile.
  const recorded = await app.inject({ method: 'POST', url: '/v1/intent', headers: { ...bearer('score'), 'sec-gpc': '1' }, payload: { subject: 'u1' } });
  assert.equal(recorded.statusCode, 200, recorded.body);
  assert.equal(engine.consent.allowed(engine.pseudonymize('subject', 'u1'), 'personalization'), false, 'the opt-out is in the local view when the request returns');
  assert.equal((await score()).json().personalized, false);
  // A forecast refresh published by another process right after the restart reaches this one's store: its
  // object-store watch was made again on the reconnect too (the old one waited ~12 s for its heartbeats).
  const nc = await connect({ servers: engine.config.natsUrl });
  defer(t, () => nc.close());
  const publisher = await openForecastStore(nc.jetstream());
  defer(t, () => publisher.close());
  const doc: ForecastDocument = { generatedAt: new Date().toISOString(), freq: 'day', horizon: 1, source: 'test', model: { version: 'f1', holdout: {} }, series: [] };
  await publisher.publish(doc);
  await engine.forecasts.waitFor(doc.generatedAt, 5000);
  assert.equal(engine.forecasts.current()?.generatedAt, doc.generatedAt);
});
