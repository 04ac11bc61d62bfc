/** `iob models list|promote|rollback`, run as the real CLI process against a temp registry. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IOB_BIN } from '../helpers/cli-process.ts';

const root = mkdtempSync(join(tmpdir(), 'iob-models-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function iob(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [IOB_BIN, 'models', ...args, '--registry', root], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function addVersion(task: string, version: string, createdAt: string, rocAuc: number) {
  const dir = join(root, task, version);
  mkdirSync(dir, { recursive: true });
  const metrics = { model: { roc_auc: rocAuc, pr_auc: 0.7 }, baselines: { prior: { roc_auc: 0.5, pr_auc: 0.15 }, logreg: { roc_auc: 0.9, pr_auc: 0.6 } } };
  writeFileSync(join(dir, 'model-card.json'), JSON.stringify({ task, version, createdAt, metrics }));
}

const pointer = (task: string) => JSON.parse(readFileSync(join(root, task, 'SERVING.json'), 'utf8')) as { version: string; previous: string[] };

test('an empty registry lists nothing and says how to get a version', () => {
  const r = iob('list');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no model versions in .* \(train one with: iob train intent/);
});

test('list shows versions with created-at, metrics beside baselines, and which one serves; promote and rollback move the pointer', () => {
  addVersion('intent', 'v1', '2026-11-01T00:00:00.000Z', 0.91);
  addVersion('intent', 'v2', '2026-11-02T00:00:00.000Z', 0.93);
  addVersion('forecast', 'f1', '2026-11-03T00:00:00.000Z', 0.5);

  let r = iob('list');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /intent +v1 +2026-11-01T00:00:00.000Z +roc_auc 0.910 \(prior 0.500, logreg 0.900\); pr_auc 0.700 \(prior 0.150, logreg 0.600\)/);
  assert.match(r.stdout, /forecast +f1/);
  assert.doesNotMatch(r.stdout, /serving/);

  r = iob('promote', 'v1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^intent: v1 now serves/);
  r = iob('promote', 'intent', 'v2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /intent: v2 now serves \(was v1; undo with: iob models rollback --task intent\)/);
  assert.deepEqual(pointer('intent').previous, ['v1']);

  r = iob('list', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Array<{ task: string; version: string; serving: boolean; createdAt: string }>;
  assert.deepEqual(
    rows.map((x) => [x.task, x.version, x.serving]),
    [['forecast', 'f1', false], ['intent', 'v1', false], ['intent', 'v2', true]],
  );
  assert.match(iob('list', '--task', 'intent').stdout, /\* intent +v2 .*← serving/);

  r = iob('rollback');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /intent: rolled back; v1 now serves/);
  assert.equal(pointer('intent').version, 'v1');
});

test('registry errors are one clear line on stderr and a non-zero exit', () => {
  for (const args of [['list', '--task', 'bogus'], ['promote', 'bogus', 'v1'], ['rollback', 'bogus']]) {
    const unknown = iob(...args);
    assert.equal(unknown.code, 2, args.join(' '));
    assert.match(unknown.stderr, /^iob models: unknown task 'bogus': one of intent, offers, forecast\n$/);
  }
  let r = iob('promote', 'v9');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^iob models: no version v9 in .* \(see: iob models list\)\n$/);
  r = iob('rollback', 'forecast');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^iob models: no version of forecast has been promoted; nothing to roll back\n$/);
  r = iob('rollback', '--task', 'intent');
  assert.equal(r.code, 2, 'v1 has no earlier serving version after the rollback');
  assert.match(r.stderr, /no earlier serving version/);
  r = iob('promote', 'forecast', '../x');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /version name must be/);
});
