import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ENDPOINTS } from '../../serving/endpoints.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';

test('every scoped route is declared in serving/endpoints.ts with the same scope, and every declaration is a route', async (t) => {
  const { app } = await startTestStack(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const scoped = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (op.security) scoped.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  }
  assert.deepEqual([...scoped].sort(), Object.keys(ENDPOINTS).sort());
});

test('the record of processing is generated from the code, over HTTP and from the CLI', async (t) => {
  const { app } = await startTestStack(t);
  const res = await app.inject({ url: '/v1/processing-record', headers: bearer('admin') });
  assert.equal(res.statusCode, 200);
  const record = res.json();
  const personalization = record.purposes.find((p: { id: string }) => p.id === 'personalization');
  assert.equal(personalization.basis, 'consent');
  assert.deepEqual(personalization.tcfPurposes, [5, 6]);
  assert.ok(record.featureViews.some((v: { features: string[] }) => v.features.includes('subject.view_count_1h')));
  for (const v of record.featureViews) assert.ok(['analytics', 'personalization', 'forecasting'].includes(v.purpose), v.name);
  assert.ok(record.endpoints.some((e: { endpoint: string }) => e.endpoint === 'POST /v1/events'));
  assert.equal((await app.inject({ url: '/v1/processing-record', headers: bearer('score') })).statusCode, 403);

  const cli = JSON.parse(execFileSync(process.execPath, [IOB_BIN, 'privacy', 'record'], { encoding: 'utf8' }));
  assert.deepEqual(cli.purposes.map((p: { id: string }) => p.id), record.purposes.map((p: { id: string }) => p.id));
  assert.deepEqual(cli.featureViews, record.featureViews);
});
