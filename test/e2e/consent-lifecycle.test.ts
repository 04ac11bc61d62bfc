/**
 * A person's whole lifecycle across two real `iob start` processes sharing one nats-server: grant →
 * 10 000 events build personalized features and scores in both → withdraw → both purge the features and
 * answer non-personalized → erase → the
 * export is empty, the stream holds none of the person's messages, a later training-set build leaves the
 * person out, the audit log has every request, and no raw identifier is left anywhere (logs, data dirs,
 * NATS store, responses, the training file).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'nats';
import { EVENTS_STREAM } from '../../engine/index.ts';
import { scanForCanaries, textHits } from '../helpers/canary-scan.ts';
import { IOB_BIN, startEngineProcess, waitUntil, type RunningEngine } from '../helpers/cli-process.ts';
import { defer, tempDir } from '../helpers/nats.ts';
import { registerStoreIntentModel } from '../models/store-intent-model.ts';

const run = promisify(execFile);
const SUBJECT = 'canary-lifecycle-person-93b1e7';
const SESSION = 'canary-lifecycle-session-5d20aa';
const BYSTANDER = 'bystander-0042';
const ADMIN_KEY = 'lifecycle-admin-key-0123456789';
const EVENTS = 10_000;
const BATCH = 999; // plus the bystander's event in the first batch: at most 1000 per request

const PSEUDONYM_KEY = 'lifecycle-pseudonym-key-'.padEnd(40, 'k');
const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  IOB_PORT: '0',
  IOB_LOG_LEVEL: 'debug',
  IOB_PSEUDONYM_KEY: PSEUDONYM_KEY,
  IOB_API_KEYS: JSON.stringify([{ id: 'ops', key: ADMIN_KEY, scopes: ['admin'] }]),
  ...extra,
});

async function call(engine: RunningEngine, method: string, path: string, body?: unknown) {
  const res = await fetch(`${engine.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const intent = async (engine: RunningEngine) => (await call(engine, 'POST', '/v1/intent', { subject: SUBJECT, session: SESSION })).json() as { personalized: boolean; note?: string };
const features = async (engine: RunningEngine) => (await call(engine, 'GET', `/v1/features/${SUBJECT}?session=${SESSION}`)).json();
const viewsSeen = async (engine: RunningEngine) => (await features(engine)).subject['subject.view_count_24h'] as number;

test('grant → features on two processes → withdraw → erase: nothing personal is left, and nothing identifying anywhere', async (t) => {
  const dirA = tempDir(t, 'iob-life-a-');
  const dirB = tempDir(t, 'iob-life-b-');
  const registry = tempDir(t, 'iob-life-models-');
  await registerStoreIntentModel(registry, 'v1', { seed: 3, promote: true });
  const a = await startEngineProcess(['--registry', registry], env({ IOB_DATA_DIR: dirA, NATS_URL: '' }));
  defer(t, () => a.child.kill('SIGKILL'));
  assert.ok(a.natsUrl, 'the first process runs the embedded nats-server');
  const b = await startEngineProcess(['--registry', registry], env({ IOB_DATA_DIR: dirB, NATS_URL: a.natsUrl, IOB_CONSUMER_NAME: 'engine-b' }));
  defer(t, () => b.child.kill('SIGKILL'));
  const responses: string[] = [];

  // Grant, then 10 000 events of the person in the second after it (consent counts from its own time).
  const grant = await call(a, 'PUT', `/v1/consent/${SUBJECT}`, { purposes: { personalization: true, analytics: true }, source: 'cmp', notice: 'v3' });
  assert.equal(grant.status, 200, grant.text);
  responses.push(grant.text);
  const grantedAt = Date.now();
  await new Promise((r) => setTimeout(r, 1100));
  const now = Date.now();
  const types = ['view', 'view', 'view', 'cart_add'] as const;
  for (let from = 0; from < EVENTS; from += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, EVENTS - from) }, (_, k) => {
      const i = from + k;
      return { id: `life-${i}`, ts: grantedAt + 1 + Math.floor(i / 10), subject: SUBJECT, session: SESSION, type: types[i % 4], item: `sku-life-${i % 40}`, price: 5 };
    });
    if (from === 0) events.push({ id: 'bystander-1', ts: now - 1000, subject: BYSTANDER, session: 'b', type: 'view', item: 'sku-life-0', price: 5 });
    const res = await call(a, 'POST', '/v1/events', { events });
    assert.equal(res.json().accepted, events.length, res.text.slice(0, 300));
  }
  const views = (EVENTS / 4) * 3;
  for (const engine of [a, b]) await waitUntil(async () => (await viewsSeen(engine)) === views, 30_000, 'both processes to build the profile');
  assert.equal((await features(b)).session['session.event_count'], EVENTS, 'the second process holds the session too');
  for (const engine of [a, b]) {
    await waitUntil(async () => (await call(engine, 'POST', '/v1/intent', { subject: SUBJECT, session: SESSION })).status === 200, 20_000, 'the model to serve');
    assert.equal((await intent(engine)).personalized, true, 'with consent, a personalized score');
  }

  // Withdraw on the first process: both stop serving the profile.
  const withdrawnAt = performance.now();
  const withdraw = await call(a, 'PUT', `/v1/consent/${SUBJECT}`, { purposes: { personalization: false }, source: 'cmp', notice: 'v3' });
  assert.equal(withdraw.status, 200, withdraw.text);
  responses.push(withdraw.text);
  for (const engine of [a, b]) {
    await waitUntil(async () => (await viewsSeen(engine)) === 0, 5000, 'the profile to be purged');
    const answer = await intent(engine);
    assert.equal(answer.personalized, false, 'after withdrawal, a non-personalized answer');
    assert.equal(answer.note, 'no_consent');
    const after = await features(engine);
    assert.ok(Object.values(after.subject).every((v) => v === 0) && Object.values(after.session).every((v) => v === 0), 'every personal feature is gone');
  }
  t.diagnostic(`withdrawal reached both processes in ${(performance.now() - withdrawnAt).toFixed(0)} ms (polled every 100 ms)`);

  // Erase: a receipt, an empty export, no message of the person in the stream.
  const erase = await call(a, 'DELETE', `/v1/subjects/${SUBJECT}`);
  assert.equal(erase.status, 200, erase.text);
  responses.push(erase.text);
  const receipt = erase.json();
  assert.equal(receipt.held, true);
  assert.equal(receipt.purged.events, EVENTS);
  t.diagnostic(`erasure of ${EVENTS} events took ${receipt.durationMs} ms`);
  const exported = await call(b, 'GET', `/v1/subjects/${SUBJECT}/export`);
  responses.push(exported.text);
  const doc = exported.json();
  assert.deepEqual(doc.events, []);
  assert.equal(doc.erased, true);
  assert.equal(doc.consent.purposes.personalization, false);

  const nc = await connect({ servers: a.natsUrl! });
  defer(t, () => nc.close());
  const info = await nc.jetstreamManager().then((jsm) => jsm.streams.info(EVENTS_STREAM, { subjects_filter: 'iob.events.>' }));
  assert.equal(info.state.messages, 1, "only the bystander's message remains");

  // A later training-set build from the stream leaves the person out.
  const labels = join(tempDir(t, 'iob-life-labels-'), 'labels.csv'); // names the person, so kept out of the scanned dirs
  const out = join(dirB, 'training.csv');
  writeFileSync(labels, `subject,ts,label\n${SUBJECT},${now},1\n${BYSTANDER},${now},0\n`);
  const build = await run(process.execPath, [IOB_BIN, 'features', 'build', '--from-stream', '--labels', labels, '--out', out], {
    env: { ...process.env, ...env({ IOB_DATA_DIR: dirB, NATS_URL: a.natsUrl }) },
  });
  const rows = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows.length, 2, 'header + the bystander only');
  assert.ok(rows[1]!.startsWith(`${BYSTANDER},`));
  assert.match(build.stderr + build.stdout, /1 label rows and 0 events of erased subjects excluded/);
  assert.match(build.stderr + build.stdout, /consent applied from the registry/);

  // The audit log, read on the other process, has every request, and no identifier.
  const audit = await call(b, 'GET', '/v1/audit?limit=200');
  responses.push(audit.text);
  const actions = audit.json().entries.map((e: { action: string }) => e.action);
  for (const action of ['consent.update', 'subject.erase', 'subject.export']) assert.ok(actions.includes(action), `audit has ${action}`);
  assert.equal(actions.filter((x: string) => x === 'consent.update').length, 2, 'grant and withdrawal');

  const metrics = await (await fetch(`${a.url}/metrics`)).text();
  for (const engine of [b, a]) {
    engine.child.kill('SIGTERM');
    assert.equal(await engine.exited, 0, engine.output().slice(-2000));
  }
  const canaries = [SUBJECT, SESSION, ADMIN_KEY, PSEUDONYM_KEY]; // no raw identifier, and no secret either
  assert.deepEqual(textHits([...responses, metrics, a.output(), b.output(), build.stdout, build.stderr].join('\n'), canaries), [], 'no response, metric or log line names the person');
  assert.deepEqual(scanForCanaries(dirA, canaries), [], 'data dir and NATS store of the first process');
  assert.deepEqual(scanForCanaries(dirB, canaries), [], 'data dir of the second process, the training file included');
  assert.ok(scanForCanaries(dirB, [BYSTANDER]).length > 0, 'the scan finds what is there (the training file names the bystander)');
});
