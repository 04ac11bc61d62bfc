/**
 * End to end through the real `iob start` process with its embedded nats-server: events carrying canary
 * identifiers arrive over HTTP and over core NATS, are consumed, and no canary is found afterwards in
 * the NATS store, the data dir, the logs or /metrics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { scanForCanaries, textHits } from '../helpers/canary-scan.ts';
import { portOpen, startEngineProcess, waitUntil } from '../helpers/cli-process.ts';
import { defer, tempDir } from '../helpers/nats.ts';

const CANARIES = {
  subject: 'canary-subject-7f3a9c',
  session: 'canary-session-51c2e8',
  email: 'canary.person.q8@example.org',
  phone: '+1 202 555 0147',
  ip: '198.51.100.77',
} as const;
const ALL = Object.values(CANARIES);

const canaryEvent = (id: string, type = 'view') => ({
  id,
  ts: Date.now() - 5000,
  subject: CANARIES.subject,
  session: CANARIES.session,
  type,
  item: 'sku-canary',
  price: 9.99,
  email: CANARIES.email,
  context: { ip: CANARIES.ip, channel: 'web', geo: { lat: 52.52, lon: 13.405 } },
  properties: { contact: CANARIES.email, note: `call ${CANARIES.phone}`, phone: CANARIES.phone },
});

test('no canary identifier survives the trip through HTTP, NATS, the stream and the consumer', async (t) => {
  const dataDir = tempDir(t, 'iob-e2e-');
  const engine = await startEngineProcess([], { IOB_DATA_DIR: dataDir, IOB_PORT: '0', IOB_LOG_LEVEL: 'debug', NATS_URL: '', IOB_API_KEYS: '' });
  defer(t, () => engine.child.kill('SIGKILL'));
  assert.ok(engine.demoKey, 'a demo admin key is printed');
  assert.ok(engine.natsUrl, 'the embedded nats-server URL is printed');

  const res = await fetch(`${engine.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${engine.demoKey}` },
    body: JSON.stringify({ events: [canaryEvent('c-http-1'), canaryEvent('c-http-2', 'cart_add'), { ...canaryEvent('c-http-bad'), type: CANARIES.email }] }),
  });
  const report = (await res.json()) as { accepted: number; rejected: number };
  assert.equal(res.status, 200);
  assert.equal(report.accepted, 2);
  assert.equal(report.rejected, 1);
  assert.deepEqual(textHits(JSON.stringify(report), ALL), [], 'the response echoes no canary');

  const nc = await connect({ servers: engine.natsUrl! });
  const reply = await nc.request('iob.ingest.web', new TextEncoder().encode(JSON.stringify({ events: [canaryEvent('c-nats-1', 'purchase')] })), { timeout: 10_000 });
  const natsReport = JSON.parse(new TextDecoder().decode(reply.data));
  assert.equal(natsReport.accepted, 1);
  nc.publish('iob.ingest.app', new TextEncoder().encode(JSON.stringify(canaryEvent('c-nats-2'))));
  await nc.drain();

  let metrics = '';
  await waitUntil(
    async () => {
      metrics = await (await fetch(`${engine.url}/metrics`)).text();
      return /iob_consumer_last_sequence 4\b/.test(metrics);
    },
    15_000,
    'the consumer to apply 4 events',
  );
  assert.deepEqual(textHits(metrics, ALL), [], '/metrics holds no canary');

  engine.child.kill('SIGTERM');
  assert.equal(await engine.exited, 0, `graceful exit:\n${engine.output()}`);
  await waitUntil(async () => !(await portOpen(engine.natsUrl!)), 5000, 'the embedded nats-server to stop');

  const logs = engine.output();
  assert.match(logs, /"level":20/, 'debug logs were written, so the scan means something');
  assert.deepEqual(textHits(logs, ALL), [], 'logs hold no canary');
  assert.deepEqual(scanForCanaries(dataDir, ALL), [], 'data dir and NATS store hold no canary');
  assert.ok(scanForCanaries(dataDir, ['sku-canary']).length > 0, 'the scan does find what was stored (non-identifiers)');
});

test('the embedded nats-server dies with its parent, even on SIGKILL', async (t) => {
  const dataDir = tempDir(t, 'iob-e2e-');
  const engine = await startEngineProcess([], { IOB_DATA_DIR: dataDir, IOB_PORT: '0', NATS_URL: '', IOB_API_KEYS: '' });
  assert.ok(await portOpen(engine.natsUrl!));
  engine.child.kill('SIGKILL');
  await engine.exited;
  await waitUntil(async () => !(await portOpen(engine.natsUrl!)), 5000, 'the orphaned nats-server to stop');
});

test('a bad setting stops start-up with the setting named', async () => {
  await assert.rejects(startEngineProcess([], { IOB_PORT: 'eighty' }, 20_000), /IOB_PORT/);
});
