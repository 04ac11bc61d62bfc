import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Command } from 'commander';
import * as convertCommand from '../../cli/convert.ts';
import * as generateCommand from '../../cli/generate.ts';
import { readCanonicalEvents } from '../../datasets/canonical-file.ts';
import { IobError } from '../../engine/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OTTO = fileURLToPath(new URL('../../../shared/data/otto-fixture/train.jsonl', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'iob-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `iob <args>` in-process against a program holding only the two commands; returns what they printed. */
async function iob(...args: string[]): Promise<string> {
  let printed = '';
  const say = (line: string) => void (printed += `${line}\n`);
  const program = new Command('iob').exitOverride();
  generateCommand.register(program, say);
  convertCommand.register(program, say);
  await program.parseAsync(['node', 'iob', ...args]);
  return printed;
}

async function countRows(path: string): Promise<{ events: number; errors: number }> {
  const counts = { events: 0, errors: 0 };
  for await (const record of readCanonicalEvents(path)) counts['event' in record ? 'events' : 'errors']++;
  return counts;
}

test('iob generate writes the log, the catalog and a summary; the same arguments write the same bytes', async () => {
  const args = (out: string) => ['generate', '--subjects', '60', '--days', '5', '--seed', '9', '--end', '2024-06-01T00:00:00Z', '--items', '300', '--out', out];
  const first = join(dir, 'gen', 'a.csv');
  const summary = await iob(...args(first), '--catalog', join(dir, 'gen', 'catalog.jsonl'), '--bad-rows', '0.02');
  assert.match(summary, /^generated [\d,]+ events and \d+ bad rows for 60 subjects over 5 days \(2024-05-27T00:00Z → 2024-06-01T00:00Z, seed 9\) → /);
  assert.match(summary, /catalog: 300 items in 40 categories/);
  const { events, errors } = await countRows(first);
  assert.ok(events > 300 && errors > 0);
  assert.equal(Number(/generated ([\d,]+) events/.exec(summary)![1]!.replaceAll(',', '')), events);
  const catalog = readFileSync(join(dir, 'gen', 'catalog.jsonl'), 'utf8').trim().split('\n');
  assert.equal(catalog.length, 300);
  assert.deepEqual(Object.keys(JSON.parse(catalog[0]!)), ['id', 'category', 'price']);

  const second = join(dir, 'gen', 'b.csv');
  await iob(...args(second), '--catalog', join(dir, 'gen', 'catalog.jsonl'), '--bad-rows', '0.02');
  assert.ok(readFileSync(first).equals(readFileSync(second)));
  assert.deepEqual(readdirSync(join(dir, 'gen')).sort(), ['a.csv', 'b.csv', 'catalog.jsonl'], 'no partial files left');
});

test('iob generate refuses bad options with every problem listed, and writes nothing', async () => {
  const out = join(dir, 'never.csv');
  await assert.rejects(iob('generate', '--subjects', '0', '--days', 'x', '--seed', '1', '--bad-rows', '2', '--end', 'soon', '--out', out), (err: unknown) => {
    assert.ok(err instanceof IobError);
    assert.equal(err.code, 'IOB_ERR_VALIDATION');
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['--subjects', '--days', '--bad-rows', '--end'],
    );
    return true;
  });
  await assert.rejects(iob('generate', '--subjects', '1', '--days', '1', '--seed', '1', '--out', join(dir, 'log.txt')), /--out|options/);
  // a catalog `iob catalog load` could not read, or one written over the log itself
  const catalogCases: Array<[catalog: string, message: string]> = [
    [join(dir, 'items.json'), '--catalog: the file name must end in .csv, .jsonl or .ndjson (optionally .gz)'],
    [out, '--catalog: must differ from --out'],
  ];
  for (const [catalog, message] of catalogCases) {
    await assert.rejects(iob('generate', '--subjects', '3', '--days', '1', '--seed', '1', '--out', out, '--catalog', catalog), (err: unknown) => {
      assert.ok(err instanceof IobError);
      assert.deepEqual(err.problems.map((p) => `${p.path}: ${p.message}`), [message]);
      return true;
    });
  }
  // fewer items than categories would leave a category empty (it crashed the generator)
  await assert.rejects(iob('generate', '--subjects', '3', '--days', '1', '--seed', '1', '--items', '20', '--out', out), (err: unknown) => {
    assert.ok(err instanceof IobError);
    assert.deepEqual(
      err.problems.map((p) => `${p.path}: ${p.message}`),
      ['--items: must be at least --categories (40): every category needs an item'],
    );
    return true;
  });
  assert.equal(existsSync(out), false);
});

test('iob convert writes canonical events and a summary with counts', async () => {
  const out = join(dir, 'otto.jsonl.gz');
  const summary = await iob('convert', '--from', 'otto', '--in', OTTO, '--out', out);
  assert.match(summary, /^converted otto: 20 sessions read → 862 events \(view 800 · cart_add 52 · purchase 10\) → .* in [\d.]+ s\nskipped: none\n$/);
  assert.deepEqual(await countRows(out), { events: 862, errors: 0 });
});

test('iob convert names the lines of the rows it skipped, by reason', async () => {
  const input = join(dir, 'taobao-bad.csv');
  writeFileSync(input, '1,10,100,pv,1511544070\n1,11,100,teleport,1511544071\n1,12\n2,13,101,buy,1511544072\n1,14,100,jump,1511544073\n');
  const summary = await iob('convert', '--from', 'taobao', '--in', input, '--out', join(dir, 'taobao-bad-out.csv'));
  assert.match(summary, /^skipped 3: unknown_behavior 2 \(lines 2, 5\) · malformed_row 1 \(line 3\)$/m);
});

test('iob convert reads several --in files into one output, and refuses one named twice', async () => {
  const clicks = join(dir, 'yc-clicks.dat');
  const buys = join(dir, 'yc-buys.dat');
  writeFileSync(clicks, '1,2014-04-07T10:51:09.277Z,214536502,0\n1,2014-04-07T10:54:09.868Z,214536500,0\n2,2014-04-07T13:56:37Z,214662742,3\n');
  writeFileSync(buys, '1,2014-04-07T10:58:00.000Z,214536500,12462,1\nbad\n');
  const out = join(dir, 'yc.csv');
  const summary = await iob('convert', '--from', 'yoochoose', '--in', clicks, buys, '--out', out);
  assert.match(summary, /^converted yoochoose: 5 rows read → 4 events \(view 3 · purchase 1\) → /);
  assert.match(summary, /^skipped 1: yc-buys\.dat: malformed_row 1 \(line 2\)$/m);
  assert.deepEqual(await countRows(out), { events: 4, errors: 0 });
  // the flag repeated reads the same as one flag with two files
  await iob('convert', '--from', 'yoochoose', '--in', clicks, '--in', buys, '--out', join(dir, 'yc2.csv'));
  assert.ok(readFileSync(out).equals(readFileSync(join(dir, 'yc2.csv'))));
  await assert.rejects(iob('convert', '--from', 'yoochoose', '--in', clicks, clicks, '--out', join(dir, 'yc3.csv')), (err: unknown) => err instanceof IobError && err.problems[0]?.path === '--in' && /names .* twice/.test(err.message));
  await assert.rejects(iob('convert', '--from', 'yoochoose', '--in', clicks, out, '--out', out), (err: unknown) => err instanceof IobError && /--out must differ from --in/.test(err.message));
});

test('iob convert refuses a conversion that skips every row, a symbolic link to the output as input, and names the separator a header lacks', async () => {
  const allBad = join(dir, 'all-bad.dat');
  writeFileSync(allBad, `1,2014-04-07T10:51:09.277Z,${'9'.repeat(130)},0\n`);
  const out = join(dir, 'all-bad.csv');
  await assert.rejects(iob('convert', '--from', 'yoochoose', '--in', allBad, '--out', out), (err: unknown) => err instanceof IobError && err.problems[0]?.path === '--in' && /^no events: every one of the 1 data row was skipped \(identifier_too_long 1 \(line 1\)\)/.test(err.message));
  assert.equal(existsSync(out), false, 'nothing written');

  const target = join(dir, 'linked-out.csv');
  writeFileSync(target, 'timestamp,visitorid,event,itemid,transactionid\n1433221332117,1,view,2,\n');
  const link = join(dir, 'link-to-out.csv');
  symlinkSync(target, link);
  await assert.rejects(iob('convert', '--from', 'retailrocket', '--in', link, '--out', target), (err: unknown) => err instanceof IobError && /--out must differ from --in \(.*link-to-out\.csv is the output file\)/.test(err.message));

  const commas = join(dir, 'train-item-views-commas.csv');
  writeFileSync(commas, 'sessionId,userId,itemId,timeframe,eventdate\n1,NA,81766,526309,2016-05-09\n');
  await assert.rejects(iob('convert', '--from', 'diginetica', '--in', commas, '--out', join(dir, 'dn.csv')), (err: unknown) => err instanceof IobError && /it reads as one column: are its names separated by ;\?/.test(err.message));
  const buysBadFirst = join(dir, 'buys-bad-first.dat');
  writeFileSync(buysBadFirst, '1,2014-04-07T10:51:09.277Z,214536502,abc,1\n');
  await assert.rejects(iob('convert', '--from', 'yoochoose', '--in', buysBadFirst, '--out', join(dir, 'yb.csv')), (err: unknown) => err instanceof IobError && /does not look like yoochoose input: line 1 has a Price or Quantity that is not a plain number/.test(err.message));
});

test('iob convert and generate: an --out (or --catalog) that cannot be written is refused naming the flag, the path and why', async () => {
  const file = join(dir, 'a-file.txt');
  writeFileSync(file, 'not a folder\n');
  const under = join(file, 'events.csv');
  const names = (flag: string) => (err: unknown) => err instanceof IobError && err.problems[0]?.path === flag && err.message.includes(under.replace('events.csv', '')) && /cannot create the folder/.test(err.message);
  await assert.rejects(iob('convert', '--from', 'otto', '--in', OTTO, '--out', under), names('--out'));
  await assert.rejects(iob('generate', '--subjects', '5', '--days', '1', '--seed', '1', '--out', under), names('--out'));
  await assert.rejects(iob('generate', '--subjects', '5', '--days', '1', '--seed', '1', '--out', join(dir, 'fine.csv'), '--catalog', join(file, 'items.csv')), names('--catalog'));
});

test('iob convert refuses an unknown format, a missing input, the input as output, and the wrong format', async () => {
  const attempts: [string[], RegExp][] = [
    [['--from', 'csv', '--in', OTTO, '--out', join(dir, 'x.csv')], /unknown input format/],
    [['--from', 'otto', '--in', join(dir, 'missing.jsonl'), '--out', join(dir, 'x.csv')], /no such file/],
    [['--from', 'otto', '--in', OTTO, '--out', OTTO], /--out must differ from --in/],
    [['--from', 'taobao', '--in', OTTO, '--out', join(dir, 'x.csv')], /does not look like taobao input/],
  ];
  for (const [args, pattern] of attempts) {
    await assert.rejects(iob('convert', ...args), (err: unknown) => err instanceof IobError && err.code === 'IOB_ERR_VALIDATION' && pattern.test(err.message));
  }
  assert.equal(existsSync(join(dir, 'x.csv')), false, 'a failed conversion leaves no output');
});

test('the iob binary: no progress bar when stderr is not a terminal, exit code 2 on bad input', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'iob.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const ok = run('convert', '--from', 'otto', '--in', OTTO, '--out', join(dir, 'bin.csv'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.match(ok.stdout, /converted otto: 20 sessions read → 862 events/);

  const bad = run('convert', '--from', 'nope', '--in', OTTO, '--out', join(dir, 'bin2.csv'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /iob: unknown input format for --from/);
});
