/**
 * CLI errors a user meets before any data is touched: a server that cannot be reached or resolved, option
 * values out of range. Each is one clear line (or one line per problem) and a non-zero exit, never a Node
 * stack trace (`iob ingest` used to leave a failed batch's rejection unhandled while others were in flight).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { tempDir } from '../helpers/nats.ts';

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('iob ingest: an unreachable engine or a malformed --url is one clear line, exit 2, no stack trace', async (t) => {
  const dir = tempDir(t, 'iob-ingest-cli-');
  const events = join(dir, 'events.csv');
  writeFileSync(events, `id,ts,subject,type,item\n${Array.from({ length: 1200 }, (_, i) => `e${i},${1_700_000_000_000 + i},u${i % 7},view,i${i % 13}`).join('\n')}\n`);
  const run = (url: string) => spawnSync(process.execPath, [IOB_BIN, 'ingest', '--events', events, '--url', url, '--key', 'k', '--batch', '100'], { encoding: 'utf8' });

  const refused = run(`http://127.0.0.1:${await closedPort()}`);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /cannot reach the engine at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  const malformed = run('not-a-url');
  assert.equal(malformed.status, 2, malformed.stderr);
  assert.match(malformed.stderr, /--url is not an http\(s\) address/);
  for (const r of [refused, malformed]) assert.doesNotMatch(r.stderr, /\n\s+at |Node\.js v\d/, 'no stack trace');
});

test('iob ingest: a --batch or --concurrency that is not a whole number in range is refused naming it (they fell back to defaults)', async (t) => {
  const dir = tempDir(t, 'iob-ingest-cli-');
  const events = join(dir, 'events.csv');
  writeFileSync(events, 'id,ts,subject,type\ne1,1700000000000,u1,view\n');
  for (const [flag, value, max] of [['--batch', 'abc', 1000], ['--batch', '5000', 1000], ['--concurrency', '-5', 64]] as const) {
    const run = spawnSync(process.execPath, [IOB_BIN, 'ingest', '--events', events, '--key', 'k', flag, value], { encoding: 'utf8' });
    assert.equal(run.status, 2, `${flag} ${value}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`${flag}: must be a whole number from 1 to ${max}`));
  }
});

test('a server address whose host does not resolve is one clear line naming the host and the flags, no stack trace', (t) => {
  const dir = tempDir(t, 'iob-dns-cli-');
  const catalog = join(dir, 'items.csv');
  writeFileSync(catalog, 'id,category,price\na,c,1\n');
  const run = spawnSync(process.execPath, [IOB_BIN, 'catalog', 'load', '--file', catalog, '--nats-url', 'garbage'], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^iob: cannot resolve the host 'garbage' \((ENOTFOUND|EAI_AGAIN)\): check the server address given by --nats-url, --nats or NATS_URL\n$/);
});

test('iob start refuses bad demo sizes before starting anything', (t) => {
  const dir = tempDir(t, 'iob-start-cli-');
  const run = spawnSync(process.execPath, [IOB_BIN, 'start', '--demo', '--demo-subjects', 'abc', '--demo-days', '0', '--data-dir', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--demo-subjects: must be a whole number from 1 to 1000000\n {2}--demo-days: must be a whole number from 1 to 3660/);
  assert.doesNotMatch(run.stdout, /listening/);
});

test('a data dir that is a file is named as such (it was mkdir EEXIST)', (t) => {
  const dir = tempDir(t, 'iob-datadir-cli-');
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x');
  const events = join(dir, 'events.csv');
  writeFileSync(events, 'id,ts,subject,type\ne1,1700000000000,u1,view\n');
  const labels = join(dir, 'labels.csv');
  writeFileSync(labels, 'subject,ts\nu1,1700000001000\n');
  const env: NodeJS.ProcessEnv = { ...process.env, IOB_DATA_DIR: file };
  delete env.NATS_URL;
  const run = spawnSync(process.execPath, [IOB_BIN, 'features', 'build', '--events', events, '--labels', labels, '--out', join(dir, 'out.csv')], { env, encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /the data dir .*not-a-folder is a file, not a folder: set IOB_DATA_DIR or --data-dir to a folder/);
});

test('a bench setting that is not a number, or that no selected benchmark reads, stops the run naming it', () => {
  const run = spawnSync(process.execPath, [IOB_BIN, 'bench', 'ingest', 'events=abc'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /bench setting events=abc is not a number/);
  assert.doesNotMatch(run.stdout, /generating/);
  // a setting no selected benchmark reads (a typo) stops the run before anything runs
  const typo = spawnSync(process.execPath, [IOB_BIN, 'bench', 'ingest', 'evnts=5000'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(typo.status, 2, typo.stderr);
  assert.match(typo.stderr, /bench setting\(s\) evnts not read by ingest; they read batch, concurrency, events, only, rounds/);
  assert.doesNotMatch(typo.stdout, /== bench ingest/);
});
