/**
 * SIGTERM on a real `iob start` while ingest requests are in flight: the requests the server took finish
 * (2xx, every event in the stream), a request it did not take is refused or answered 503 with none of its
 * events stored, once it refuses it never accepts again, the consumer drains (the snapshot written on the
 * way out is at the stream's last sequence), the engine closes NATS, and the process exits 0.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'nats';
import { createBoundary, createJetStreamPublisher, createPseudonymizer, encodeEvent, eventSubject, EVENTS_STREAM, readSnapshot } from '../../engine/index.ts';
import { readMetric, startEngineProcess, waitUntil } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';
import { storedEventIds } from '../helpers/stream-ids.ts';

const API_KEY = 'shutdown-admin-key-0123456789';
const KEY = 's'.repeat(32);

type Outcome = { status: number; accepted?: number; statuses?: string[]; sentAt: number; answeredAt: number } | { error: string; sentAt: number; answeredAt: number };

test('SIGTERM during ingest: in-flight requests finish, new ones are refused, the consumer drains into a final snapshot, exit 0', async (t) => {
  const nats = await startTestNats(t);
  const dataDir = tempDir(t);
  const engine = await startEngineProcess([], {
    NATS_URL: nats.url,
    IOB_DATA_DIR: dataDir,
    IOB_PORT: '0',
    IOB_PSEUDONYM_KEY: KEY,
    IOB_SNAPSHOT_INTERVAL_MS: '3600000', // no periodic snapshot: the one on disk is the shutdown's
    IOB_FORECAST_REFRESH: 'off',
    IOB_RATE_LIMIT: '0',
    IOB_API_KEYS: JSON.stringify([{ id: 'admin', key: API_KEY, scopes: ['admin'] }]),
  });
  defer(t, () => engine.child.kill('SIGKILL'));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  const batchIds = (b: number) => Array.from({ length: 1000 }, (_, i) => `g-${b}-${i}`);
  const post = async (b: number): Promise<Outcome> => {
    const sentAt = performance.now();
    const events = batchIds(b).map((id, i) => ({ id, ts: Date.now() - 1000, subject: `s-${i % 200}`, type: 'view', item: `i-${i % 50}` }));
    try {
      const res = await fetch(`${engine.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
      const body = (await res.json().catch(() => ({}))) as { accepted?: number; results?: { status: string }[] };
      return { status: res.status, accepted: body.accepted, statuses: body.results?.map((r) => r.status), sentAt, answeredAt: performance.now() };
    } catch (err) {
      return { error: (err as Error).message, sentAt, answeredAt: performance.now() };
    }
  };
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const jsm = await nc.jetstreamManager();

  const warm = await post(0);
  assert.ok('status' in warm && warm.status === 200 && warm.accepted === 1000);
  await waitUntil(async () => (await readMetric(engine.url, 'iob_consumer_last_sequence')) === 1000, 30_000, 'the warm-up batch to be applied');

  // A backlog for the consumer, crossed through the boundary and encoded beforehand so that publishing it
  // (the pause below) takes well under the engine's 5 s publish-ack timeout.
  const backlog = 40_000; // more than the consumer applies while the in-flight requests finish
  const cross = createBoundary({ pseudonymize: createPseudonymizer(KEY), retentionMs: 86_400_000, maxFutureSkewMs: 60_000 });
  const payloads = Array.from({ length: backlog }, (_, i) => {
    const o = cross({ id: `p-${i}`, ts: Date.now() - 1000, subject: `p-${i % 300}`, type: 'view', item: `i-${i % 50}` });
    assert.ok(o.ok);
    return { subject: eventSubject(o.event.sid), data: encodeEvent(o.event), msgId: o.event.eid };
  });
  const publisher = createJetStreamPublisher(nc);
  defer(t, () => publisher.close());
  const streamLast = async () => (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;

  // A burst of batches; once the server is publishing them (the stream grew past the warm-up), the
  // process is paused (SIGSTOP) while the backlog goes into the stream, then resumed and sent SIGTERM at
  // once: requests are in flight and the consumer is behind when shutdown begins.
  const burst = Array.from({ length: 12 }, (_, i) => i + 1);
  const inFlight = burst.map((b) => post(b));
  await waitUntil(async () => (await streamLast()) > 1000, 30_000, 'the burst to reach the stream');
  engine.child.kill('SIGSTOP');
  await Promise.all(payloads.map((p) => publisher.publish(p.subject, p.data, { msgId: p.msgId })));
  const sigtermAt = performance.now();
  engine.child.kill('SIGCONT');
  engine.child.kill('SIGTERM');

  // New requests after the signal: once one is refused (connection refused/reset or 503), none is accepted again.
  const late: Outcome[] = [];
  let n = 100;
  while (engine.child.exitCode === null && late.length < 200) {
    late.push(await post(n++));
    await new Promise((r) => setTimeout(r, 20));
  }
  const exitCode = await engine.exited;
  assert.equal(exitCode, 0, engine.output().slice(-2000));
  const outcomes = await Promise.all(inFlight);

  const taken = (o: Outcome) => 'status' in o && o.status >= 200 && o.status < 300;
  const refusedAt = late.findIndex((o) => !taken(o));
  assert.ok(refusedAt >= 0, 'requests after SIGTERM were refused');
  assert.deepEqual(late.slice(refusedAt).filter(taken), [], 'no request accepted after the first refusal');
  for (const o of [...outcomes, ...late]) if ('status' in o) assert.ok(o.status === 200 || o.status === 503, `status ${o.status}`);
  assert.ok(outcomes.some((o) => taken(o) && o.answeredAt > sigtermAt), 'a request in flight at SIGTERM finished with 2xx');

  // The stream: events answered `accepted` are there; a refused request (no report) left nothing; events
  // answered `failed` (an ack the paused process saw too late) may be there or not: clients retry them, ids dedupe.
  const { eids: stored, last } = await storedEventIds(nats.url);
  const pseudonymize = createPseudonymizer(KEY);
  const all = [...outcomes.map((o, i) => [burst[i]!, o] as const), ...late.map((o, i) => [100 + i, o] as const)];
  let acceptedEvents = 1000 + backlog;
  let failedEvents = 0;
  for (const [b, o] of all) {
    const ids = batchIds(b);
    const statuses = 'statuses' in o ? o.statuses : undefined;
    if (taken(o)) assert.equal('accepted' in o && o.accepted, 1000, `batch ${b} was fully accepted`);
    if (!statuses) {
      assert.equal(ids.filter((id) => stored.has(pseudonymize('event', id))).length, 0, `batch ${b} (refused: ${JSON.stringify(o)}) left nothing in the stream`);
      continue;
    }
    ids.forEach((id, i) => {
      if (statuses[i] === 'accepted') {
        assert.ok(stored.has(pseudonymize('event', id)), `event ${id} (accepted) is in the stream`);
        acceptedEvents++;
      } else {
        assert.equal(statuses[i], 'failed', `event ${id}: ${statuses[i]}`);
        failedEvents++;
      }
    });
  }
  assert.ok(last >= acceptedEvents && last <= acceptedEvents + failedEvents, `the stream holds the accepted events (${last}: ${acceptedEvents} accepted, ${failedEvents} failed)`);

  // The consumer drained: the snapshot written on the way out reflects the whole stream.
  const snapshot = await readSnapshot(join(dataDir, 'snapshots', 'features.msgpack'));
  assert.ok(snapshot, 'a snapshot was written on SIGTERM');
  assert.equal(snapshot.lastSeq, last);
  assert.match(engine.output(), /"msg":"stopped"/, 'the engine closed NATS and the broker before exiting');
});
