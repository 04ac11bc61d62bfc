/**
 * The registration helpers every `iob train <task>` shares: register + promote-when-nothing-serves, the line
 * training prints, and loading the serving version with its card checked against the folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeRegistration, loadServingVersion, registerAndMaybePromote, servingVersion } from '../../models/registry.ts';

const write = (version: string, cardVersion = version) => (dir: string) => writeFile(join(dir, 'card.json'), JSON.stringify({ version: cardVersion }));
const load = async (dir: string) => ({ card: JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')) as { version: string } });

test('the first version serves; later ones only when asked; the printed line says which', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'registry-helpers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  assert.equal(await loadServingVersion(root, 'offers', load), undefined);
  const first = await registerAndMaybePromote(root, 'offers', 'v1', write('v1'));
  assert.equal(first.promoted, true);
  assert.equal(first.previouslyServing, undefined);
  assert.match(describeRegistration(root, 'offers', first), /registered offers v1 in .* \(now serving\)$/);
  const second = await registerAndMaybePromote(root, 'offers', 'v2', write('v2'));
  assert.equal(second.promoted, false);
  assert.equal(await servingVersion(root, 'offers'), 'v1');
  assert.match(describeRegistration(root, 'offers', second), /serving stays v1 \(promote with: iob models promote offers v2\)$/);
  const third = await registerAndMaybePromote(root, 'offers', 'v3', write('v3', 'v9'), true);
  assert.equal(third.promoted, true);
  assert.equal(third.previouslyServing, 'v1');
  // v3's folder holds a card for another version: loading it refuses, naming both.
  await assert.rejects(loadServingVersion(root, 'offers', load), /folder v3 holds a model card for version v9/);
  await registerAndMaybePromote(root, 'offers', 'v4', write('v4'), true);
  assert.equal((await loadServingVersion(root, 'offers', load))?.card.version, 'v4');
});
