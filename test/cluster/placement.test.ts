/**
 * A cluster whose meta leader answers before every node has joined cannot place an R3 asset yet: the
 * engine waits for placement (engine/jetstream-placement.ts) instead of exiting, and anything else is
 * still an error at once. Real nats-server clusters, one node held back until the test lets it join.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'nats';
import { isNotPlaceableYet, whenPlaceable } from '../../engine/jetstream-placement.ts';
import { startEngineProcess } from '../helpers/cli-process.ts';
import { startTestCluster } from '../helpers/nats-cluster.ts';
import { defer, tempDir } from '../helpers/nats.ts';

test('an R3 stream waits for the third node: refused while it is away, created once it joins; other errors at once', async (t) => {
  const cluster = await startTestCluster(t, { held: 1 });
  const nc = await connect({ servers: cluster.nodes.map((n) => n.url) });
  defer(t, () => nc.close());
  const jsm = await nc.jetstreamManager();
  const stream = { name: 'PLACEMENT_PROBE', subjects: ['probe.>'], num_replicas: 3 };

  const refused = await jsm.streams.add(stream).then(
    () => assert.fail('two nodes of three cannot hold three replicas'),
    (err: unknown) => err,
  );
  assert.equal(isNotPlaceableYet(refused), true, String(refused));
  // The wait is bounded: past it the refusal is thrown as it came.
  const started = Date.now();
  await assert.rejects(whenPlaceable(() => jsm.streams.add(stream), { timeoutMs: 400 }), (err: unknown) => isNotPlaceableYet(err));
  assert.ok(Date.now() - started >= 200, 'retried before giving up');
  // Any other error is not waited on.
  const waits: string[] = [];
  await assert.rejects(whenPlaceable(() => jsm.streams.add({ name: 'bad.name', subjects: ['bad.>'] }), { onWait: (r) => waits.push(r) }), (err: unknown) => !isNotPlaceableYet(err));
  assert.equal(waits.length, 0);

  const created = whenPlaceable(() => jsm.streams.add(stream), { onWait: (r) => waits.push(r) });
  await new Promise((resolve) => setTimeout(resolve, 800));
  await cluster.startHeld();
  const info = await created;
  assert.equal(info.config.num_replicas, 3);
  assert.equal(waits.length, 1, 'told once that it waits');
});

test('iob start beside a cluster still forming waits for placement, then serves', async (t) => {
  const cluster = await startTestCluster(t, { held: 1 });
  const joining = new Promise((resolve) => setTimeout(resolve, 1_500)).then(() => cluster.startHeld());
  const worker = await startEngineProcess(
    [],
    {
      NATS_URL: cluster.urls,
      IOB_DATA_DIR: tempDir(t, 'iob-placement-'),
      IOB_PORT: '0',
      IOB_STREAM_REPLICAS: '3',
      IOB_PSEUDONYM_KEY: 'placement-pseudonym-key-'.padEnd(40, 'p'),
      IOB_API_KEYS: JSON.stringify([{ id: 'ops', key: 'placement-key-0123456789', scopes: ['admin'] }]),
    },
    90_000,
  );
  defer(t, () => worker.child.kill('SIGKILL'));
  await joining;
  assert.match(worker.output(), /JetStream cannot place the streams yet/);
  const ready = await fetch(`${worker.url}/readyz`);
  assert.equal(ready.status, 200);
});
