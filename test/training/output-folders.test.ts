/**
 * The training commands write into a registry and a reports folder. A folder that cannot be made or written
 * is refused before any training, naming the flag and the path (it used to surface as a raw ENOTDIR after
 * the training, once the version was already registered and serving, without its report).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { tempDir } from '../helpers/nats.ts';

const OTTO = fileURLToPath(new URL('../../../shared/data/otto-fixture/train.jsonl', import.meta.url));
const dir = tempDir({ after }, 'iob-output-folders-');
const FILE = join(dir, 'a-file');
writeFileSync(FILE, 'not a folder\n');
const UNDER_FILE = join(FILE, 'sub');

const events = join(dir, 'otto.csv');
const converted = spawnSync(process.execPath, [IOB_BIN, 'convert', '--from', 'otto', '--in', OTTO, '--out', events], { encoding: 'utf8' });
assert.equal(converted.status, 0, converted.stderr);
const series = join(dir, 'series.csv');
writeFileSync(series, ['date,series,quantity', ...Array.from({ length: 120 }, (_, d) => `${new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10)},a,${(d % 7) + 1}`)].join('\n') + '\n');

function iob(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NATS_URL;
  delete env.IOB_DATA_DIR;
  return spawnSync(process.execPath, [IOB_BIN, ...args], { env, encoding: 'utf8' });
}

function assertRefusedBeforeTraining(run: ReturnType<typeof iob>, flag: string, taskFolder: string) {
  assert.equal(run.status, 2, `${run.stdout}\n${run.stderr}`);
  assert.ok(run.stderr.includes(flag), run.stderr);
  assert.ok(run.stderr.includes(UNDER_FILE), run.stderr);
  assert.equal(run.stderr.includes('    at '), false, 'no stack trace');
  assert.doesNotMatch(run.stdout + run.stderr, /registered|HR@20|ROC-AUC/, 'refused before training');
  assert.equal(existsSync(taskFolder), false, 'nothing registered');
}

test('train offers: a --reports or --registry folder that cannot be made is refused before training', () => {
  const dataDir = join(dir, 'offers');
  for (const flag of ['--reports', '--registry']) {
    const run = iob('train', 'offers', '--events', events, '--epochs', '1', '--tune-rounds', '0', '--data-dir', dataDir, flag, UNDER_FILE);
    assertRefusedBeforeTraining(run, flag, join(dataDir, 'models', 'offers'));
  }
});

test('train intent: a --reports folder that cannot be made is refused before training', () => {
  const dataDir = join(dir, 'intent');
  const run = iob('train', 'intent', '--events', events, '--epochs', '1', '--data-dir', dataDir, '--reports', UNDER_FILE);
  assertRefusedBeforeTraining(run, '--reports', join(dataDir, 'models', 'intent'));
});

test('train forecast: a --data-dir whose registry folder cannot be made is refused before training', () => {
  const run = iob('train', 'forecast', '--series', series, '--horizon', '7', '--data-dir', UNDER_FILE);
  assertRefusedBeforeTraining(run, '--data-dir', join(UNDER_FILE, 'models', 'forecast'));
});
