import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listVersions, pointerPath, promote, readPointer, RegistryError, registerVersion, rollback, servingVersion, versionName } from '../../models/registry.ts';

const root = mkdtempSync(join(tmpdir(), 'iob-registry-'));
after(() => rmSync(root, { recursive: true, force: true }));

const write = (tag: string) => async (dir: string): Promise<void> => {
  writeFileSync(join(dir, 'model-card.json'), JSON.stringify({ createdAt: tag, metrics: { model: { roc_auc: 0.9 } } }));
};

test('versions register into their own folders; the name sorts by time', async () => {
  assert.deepEqual(await listVersions(root, 'intent'), []);
  assert.equal(await servingVersion(root, 'intent'), undefined);
  const a = versionName(new Date('2026-01-02T03:04:05.678Z'), 'abc123');
  assert.equal(a, '20260102T030405Z-abc123');
  for (const v of ['v1', 'v2', 'v3']) await registerVersion(root, 'intent', v, write(v));
  const list = await listVersions(root, 'intent');
  assert.deepEqual(list.map((v) => v.version), ['v1', 'v2', 'v3']);
  assert.equal(list[0]!.createdAt, 'v1');
  assert.ok(list.every((v) => !v.serving));
  await assert.rejects(registerVersion(root, 'intent', 'v1', write('again')), /already exists/);
  await assert.rejects(registerVersion(root, 'intent', '../escape', write('x')), /version name/);
});

test('a failed write leaves no version and no temp folder behind', async () => {
  await assert.rejects(
    registerVersion(root, 'intent', 'v-broken', async () => {
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.ok(!existsSync(join(root, 'intent', 'v-broken')));
  assert.ok(readdirSync(join(root, 'intent')).every((name) => !name.startsWith('.tmp')));
});

test('promote moves the pointer; rollback walks back through earlier serving versions', async () => {
  await promote(root, 'intent', 'v1');
  await promote(root, 'intent', 'v2');
  await promote(root, 'intent', 'v3');
  assert.equal(await servingVersion(root, 'intent'), 'v3');
  assert.deepEqual((await readPointer(root, 'intent'))!.previous, ['v2', 'v1']);
  assert.deepEqual((await listVersions(root, 'intent')).filter((v) => v.serving).map((v) => v.version), ['v3']);

  assert.equal((await rollback(root, 'intent')).version, 'v2');
  assert.equal((await rollback(root, 'intent')).version, 'v1');
  await assert.rejects(rollback(root, 'intent'), /no earlier serving version/);
  assert.equal(await servingVersion(root, 'intent'), 'v1');

  // Promoting again after a rollback puts the rolled-back-from version behind it, without duplicates.
  await promote(root, 'intent', 'v3');
  assert.deepEqual(await readPointer(root, 'intent').then((p) => [p!.version, ...p!.previous]), ['v3', 'v1']);
  await assert.rejects(promote(root, 'intent', 'v9'), /no version v9/);
  assert.ok(readdirSync(join(root, 'intent')).every((name) => !name.endsWith('.tmp')), 'pointer temp files are renamed away');
});

test('rollback skips versions deleted by hand', async () => {
  await promote(root, 'intent', 'v2');
  await promote(root, 'intent', 'v1');
  rmSync(join(root, 'intent', 'v2'), { recursive: true });
  assert.equal((await rollback(root, 'intent')).version, 'v3');
});

test('a malformed pointer file is reported, not guessed at', async () => {
  mkdirSync(join(root, 'broken'));
  writeFileSync(pointerPath(root, 'broken'), '{"nope":1}');
  await assert.rejects(readPointer(root, 'broken'), /malformed/);
  // not JSON at all: the error names the file (it was JSON.parse's message alone)
  mkdirSync(join(root, 'garbled'));
  writeFileSync(pointerPath(root, 'garbled'), '{bad');
  await assert.rejects(readPointer(root, 'garbled'), (err: unknown) => err instanceof RegistryError && err.message.startsWith(`${pointerPath(root, 'garbled')} is not valid JSON`));
});
