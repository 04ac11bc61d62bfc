/**
 * Broker outage under load with real processes (bench/outage.bench.ts, ~3 s here, 10 s in
 * `npm run bench -- outage`): nats-server stopped while clients keep POSTing; no acknowledged event is
 * missing from the stream afterwards, everything else was told 503 + Retry-After or `failed`, /readyz said
 * not ready, and the same engine process reconnected and caught up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBrokerOutage } from '../../bench/outage.bench.ts';

test('broker stopped during ingest: nothing acknowledged is lost, the rest was told to retry, the engine recovers in place', async () => {
  const r = await runBrokerOutage({ outageMs: 3000, timeoutMs: 30_000 });
  assert.ok(r.acked > 0, 'events were acknowledged');
  assert.equal(r.ackedMissing, 0, 'every acknowledged event is in the stream');
  assert.equal(r.untold, 0, 'every event not acknowledged was told 503 or failed');
  assert.ok(r.responses503 > 0, 'the outage was answered with 503');
  assert.equal(r.missingRetryAfter, 0, 'every 503 carries Retry-After');
  assert.ok(r.toldUnavailable + r.toldFailed > 0);
  assert.ok(r.readyzDown.notReady > 0, '/readyz said not ready during the outage');
  assert.ok(r.samePid, 'the engine was not restarted');
  assert.ok(r.caughtUp, 'the consumer caught up with the stream');
  assert.ok(r.streamMessages >= r.acked);
});
