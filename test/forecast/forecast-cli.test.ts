import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'nats';
import { openForecastStore } from '../../engine/index.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { defer, startTestNats } from '../helpers/nats.ts';
import { trainedFixture } from './refresh-fixture.ts';

const run = promisify(execFile);

test('iob forecast refresh --series publishes to NATS where a watching store picks it up; clear errors without NATS or a model', async (t) => {
  const fx = await trainedFixture(t);
  const nats = await startTestNats(t);
  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const watcher = await openForecastStore(nc.jetstream());
  defer(t, () => watcher.close());
  const seen = new Promise((resolve) => watcher.onChange(resolve));

  const { stdout } = await run(process.execPath, [IOB_BIN, 'forecast', 'refresh', '--series', fx.seriesPath, '--registry', fx.registryDir, '--nats', nats.url, '--json']);
  const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
  assert.deepEqual([result.items, result.categories, result.version], [6, 2, fx.version]);
  await seen;
  assert.equal(watcher.current()?.generatedAt, result.generatedAt);
  assert.ok(watcher.get('category', 'bags'));

  const noNats = await run(process.execPath, [IOB_BIN, 'forecast', 'refresh', '--series', fx.seriesPath, '--registry', fx.registryDir], { env: { ...process.env, NATS_URL: '' } }).catch((e) => e);
  assert.equal(noNats.code, 2);
  assert.match(noNats.stderr, /--nats/);
  const noModel = await run(process.execPath, [IOB_BIN, 'forecast', 'refresh', '--series', fx.seriesPath, '--registry', `${fx.dir}/empty`, '--nats', nats.url]).catch((e) => e);
  assert.equal(noModel.code, 1);
  assert.match(noModel.stderr, /no forecast model serves/);
});
