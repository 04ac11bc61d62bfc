/**
 * `iob features build` through the real CLI, on inputs a data scientist gets wrong: bad label rows (skipped
 * with line and column, or refused with --strict), labels of subjects without events (zero features), an
 * --out that would overwrite an input, an --out in a folder that does not exist yet or cannot exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { tempDir } from '../helpers/nats.ts';

const dir = tempDir({ after }, 'iob-features-cli-');
const EVENTS = join(dir, 'events.csv');
writeFileSync(
  EVENTS,
  [
    'id,ts,subject,session,type,item,category,price,quantity',
    'e1,2026-01-05T09:00:00Z,alice,s1,view,sku-1,shoes,,',
    'e2,2026-01-05T09:01:00Z,alice,s1,cart_add,sku-1,shoes,50,1',
    'e3,2026-01-05T09:02:00Z,bob,s2,view,sku-2,hats,,',
  ].join('\n') + '\n',
);

function build(labels: string, out: string, ...extra: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, IOB_DATA_DIR: join(dir, 'data') };
  delete env.NATS_URL;
  const run = spawnSync(process.execPath, [IOB_BIN, 'features', 'build', '--events', EVENTS, '--labels', labels, '--out', out, ...extra], { env, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function labelFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('bad label rows are reported with line and column and skipped; the good rows around them are kept', () => {
  const labels = labelFile('labels-bad.csv', [
    'subject,ts,label',
    'alice,2026-01-05T10:00:00Z,1',
    'bob,yesterday,0',
    'bob,2026-01-05T10:00:00Z',
    ',2026-01-05T10:00:00Z,1',
    'bob,2026-01-05T10:00:00Z,0',
  ]);
  const out = join(dir, 'train-bad.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /line 3, column ts: is not a timestamp/);
  assert.match(run.stdout, /line 4, column \(row\): has 2 fields where the header has 3/);
  assert.match(run.stdout, /line 5, column subject: is required/);
  assert.match(run.stdout, /3 bad label rows skipped/);
  const rows = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows.length, 3, 'header and the two good label rows');
  assert.match(rows[1]!, /^alice,2026-01-05T10:00:00Z,1,/);
  assert.match(rows[2]!, /^bob,2026-01-05T10:00:00Z,0,/);
  assert.equal(run.stderr.includes('    at '), false, 'no stack trace');
});

test('--strict refuses a label file with a bad row, naming the file, line and column; nothing is written', () => {
  const labels = labelFile('labels-strict.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1', 'bob,yesterday,0']);
  const out = join(dir, 'train-strict.csv');
  const run = build(labels, out, '--strict');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /labels-strict\.csv, line 3, column ts: is not a timestamp/);
  assert.equal(run.stderr.includes('    at '), false, 'no stack trace');
  assert.equal(existsSync(out), false);
});

test('a labels file with no readable row, or an events file with no readable event, is an error, not an empty or all-zero training set', () => {
  const out = join(dir, 'train-empty.csv');
  const badLabels = build(labelFile('labels-all-bad.csv', ['subject,ts,label', 'alice,yesterday,1', 'bob,soon,0']), out);
  assert.equal(badLabels.status, 2, badLabels.stderr);
  assert.match(badLabels.stderr, /labels-all-bad\.csv: no label row to build: all 2 of its rows are bad/);
  const headerOnly = build(labelFile('labels-header.csv', ['subject,ts,label']), out);
  assert.equal(headerOnly.status, 2, headerOnly.stderr);
  assert.match(headerOnly.stderr, /labels-header\.csv: no label row to build: it has no data rows/);
  const noEvents = join(dir, 'events-none.csv');
  writeFileSync(noEvents, 'id,ts,subject,type\nx,never,alice,view\n');
  const good = labelFile('labels-good.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const run = spawnSync(process.execPath, [IOB_BIN, 'features', 'build', '--events', noEvents, '--labels', good, '--out', out], { env: { ...process.env, IOB_DATA_DIR: join(dir, 'data'), NATS_URL: '' }, encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /events-none\.csv: no event to build features from: its one row is bad/);
  assert.equal(existsSync(out), false, 'nothing written');
});

test('a quoted label cell may hold a line break (RFC 4180, as event files): the row is kept, the cell written back quoted, later lines keep their numbers', () => {
  const labels = labelFile('labels-multiline.csv', ['subject,ts,label,note', 'alice,2026-01-05T10:00:00Z,1,"first', 'second"', 'bob,yesterday,0,x']);
  const out = join(dir, 'train-multiline.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /skipped label line 4, column ts/);
  const text = readFileSync(out, 'utf8');
  assert.ok(text.includes('alice,') && text.includes(',1,"first\nsecond",'), text.slice(0, 400));
});

test('an event id repeated within the duplicate window counts once, as the stream takes it; after the window it is a new event', () => {
  const events = join(dir, 'events-retried.csv');
  writeFileSync(
    events,
    [
      'id,ts,subject,session,type,item,category,price,quantity',
      'p1,2026-01-05T09:00:00Z,carol,s9,purchase,sku-1,shoes,10,1',
      'p1,2026-01-05T09:00:00Z,carol,s9,purchase,sku-1,shoes,10,1',
      'p1,2026-01-05T09:00:30Z,carol,s9,purchase,sku-1,shoes,10,1',
      'p2,2026-01-05T09:05:00Z,carol,s9,purchase,sku-2,shoes,10,1',
      'p1,2026-01-05T09:10:00Z,carol,s9,purchase,sku-1,shoes,10,1',
    ].join('\n') + '\n',
  );
  const labels = labelFile('labels-retried.csv', ['subject,ts', 'carol,2026-01-05T10:00:00Z']);
  const out = join(dir, 'train-retried.csv');
  const env: NodeJS.ProcessEnv = { ...process.env, IOB_DATA_DIR: join(dir, 'data') };
  delete env.NATS_URL;
  const run = spawnSync(process.execPath, [IOB_BIN, 'features', 'build', '--events', events, '--labels', labels, '--out', out], { env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /2 event\(s\) repeat the id of an event within 120 s/);
  const [header, row] = readFileSync(out, 'utf8').trim().split('\n');
  const value = (name: string) => Number(row!.split(',')[header!.split(',').indexOf(name)]);
  assert.equal(value('subject.purchase_count_7d'), 3, 'p1, p2, and p1 again ten minutes later');
});

test('a JSON file passed as labels is named as JSON (it was a quoting error)', () => {
  for (const json of ['[{"subject":"alice","ts":"2026-01-05T10:00:00Z"}]', '{"subject":"alice","ts":"2026-01-05T10:00:00Z"}']) {
    const run = build(labelFile('labels.json', [json]), join(dir, 'train-json.csv'));
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /labels\.json, line 1: this is JSON; a label file is CSV with a header naming subject and ts/);
  }
});

test('labels of subjects without events get zero features, not an error', () => {
  const labels = labelFile('labels-unknown.csv', ['subject,ts,label', 'nobody,2026-01-05T10:00:00Z,1']);
  const out = join(dir, 'train-unknown.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  const [header, row] = readFileSync(out, 'utf8').trim().split('\n');
  assert.match(header!, /^subject,ts,label,subject\./);
  const values = row!.split(',').slice(3);
  assert.ok(values.length > 10);
  assert.ok(values.every((v) => v === '0'), row);
});

test('an --out naming an input is refused before anything is written; the input is left as it was', () => {
  const labels = labelFile('labels-same.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const before = readFileSync(labels, 'utf8');
  const run = build(labels, labels);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--out must differ from --labels/);
  assert.equal(readFileSync(labels, 'utf8'), before);

  const events = readFileSync(EVENTS, 'utf8');
  const again = build(labels, EVENTS);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /--out must differ from --events/);
  assert.equal(readFileSync(EVENTS, 'utf8'), events);
});

test('--out in a folder that does not exist yet is created; one that cannot exist is refused naming --out', () => {
  const labels = labelFile('labels-out.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const out = join(dir, 'new', 'folder', 'train.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 2);

  const impossible = join(EVENTS, 'train.csv'); // a folder inside a regular file
  const refused = build(labels, impossible);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--out/);
  assert.ok(refused.stderr.includes(impossible), refused.stderr);
  assert.equal(refused.stderr.includes('    at '), false, 'no stack trace');
});

test('a NATS server that cannot be reached is said so, naming the flag, without a stack trace', () => {
  const labels = labelFile('labels-nats.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const out = join(dir, 'train-nats.csv');
  const run = build(labels, out, '--nats-url', 'nats://127.0.0.1:1');
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /cannot connect to NATS.*refused.*--nats-url/);
  assert.equal(run.stderr.includes('    at '), false, 'no stack trace');
  assert.equal(existsSync(out), false);
});

test('label columns whose names need quoting stay one column each in the output header', () => {
  const labels = labelFile('labels-quoted.csv', ['subject,ts,"label, final","say ""yes"""', 'alice,2026-01-05T10:00:00Z,1,"a, b"']);
  const out = join(dir, 'train-quoted.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  const [header, row] = readFileSync(out, 'utf8').trim().split('\n');
  assert.ok(header!.startsWith('subject,ts,"label, final","say ""yes""",subject.'), header);
  assert.ok(row!.startsWith('alice,2026-01-05T10:00:00Z,1,"a, b",'), row);
});

test('label headers are matched as the event file matches its own: any case, spaces around names', () => {
  const labels = labelFile('labels-case.csv', ['Subject, TS ,Label', 'alice,2026-01-05T10:00:00Z,1']);
  const out = join(dir, 'train-case.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  const [header, row] = readFileSync(out, 'utf8').trim().split('\n');
  assert.ok(header!.startsWith('Subject,TS,Label,subject.'), header);
  assert.ok(row!.startsWith('alice,2026-01-05T10:00:00Z,1,'), row);
  assert.notEqual(row!.split(',')[3], undefined);
  assert.ok(row!.split(',').slice(3).some((v) => v !== '0'), 'alice has events before the label time');
});

test('--out FILE.arrow writes the same training set as the CSV, typed: label columns as numbers or text, features as float32, empty cells null', () => {
  const labels = labelFile('labels-arrow.csv', ['subject,ts,session,label,weight', 'alice,2026-01-05T10:00:00Z,s1,1,0.5', 'bob,2026-01-05T10:00:00Z,,0,', 'carol,2026-01-05T10:00:00Z,,1,2']);
  const csvOut = join(dir, 'train-typed.csv');
  const arrowOut = join(dir, 'train-typed.arrow');
  assert.equal(build(labels, csvOut).status, 0);
  const run = build(labels, arrowOut);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /wrote 3 rows × \d+ features to .*train-typed\.arrow/);
  const table = tableFromIPC(readFileSync(arrowOut));
  const lines = readFileSync(csvOut, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  assert.deepEqual(table.schema.fields.map((f) => f.name), header, 'the CSV\'s columns, in its order');
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  assert.equal(types.subject, 'Utf8');
  assert.equal(types.ts, 'Utf8', 'ISO-8601 times stay as written');
  assert.equal(types.label, 'Float64');
  assert.equal(types.weight, 'Float64', 'a column of numbers with empty cells');
  for (const f of header.slice(5)) assert.equal(types[f], 'Float32', f);
  assert.equal(table.numRows, lines.length - 1);
  for (let r = 0; r < table.numRows; r++) {
    const cells = lines[r + 1]!.split(',');
    for (let c = 0; c < header.length; c++) {
      const value = table.getChildAt(c)!.get(r);
      const type = types[header[c]!];
      // float64 label cells exactly; float32 features as the CSV's 9 digits read back into a float32
      const expected = cells[c] === '' ? null : type === 'Utf8' ? cells[c] : type === 'Float64' ? Number(cells[c]) : Math.fround(Number(cells[c]));
      assert.equal(value, expected, `row ${r}, ${header[c]}`);
    }
  }
  assert.ok(header.slice(5).some((_, f) => table.getChildAt(5 + f)!.get(0) !== 0), 'alice has features');

  const twice = labelFile('labels-twice.csv', ['subject,ts,label,label', 'alice,2026-01-05T10:00:00Z,1,0']);
  const refused = build(twice, join(dir, 'train-twice.feather'));
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /labels-twice\.csv, line 1: the column label is named twice; Arrow output .* needs unique column names/);
  assert.equal(existsSync(join(dir, 'train-twice.feather')), false, 'nothing written');

  const gzipped = build(labels, join(dir, 'train-typed.arrow.gz'));
  assert.equal(gzipped.status, 2, gzipped.stderr);
  assert.match(gzipped.stderr, /--out .*train-typed\.arrow\.gz: an Arrow file is not gzipped/);
  assert.equal(existsSync(join(dir, 'train-typed.arrow.gz')), false, 'no gzipped CSV under an Arrow name');
});

test('timestamps that read as 1970 (Unix seconds where milliseconds are expected) are warned about', () => {
  const labels = labelFile('labels-seconds.csv', ['subject,ts,label', 'alice,1767607200,1']);
  const out = join(dir, 'train-seconds.csv');
  const run = build(labels, out);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /warning: 1 label row has a ts before 1973 .*seconds.*milliseconds/);
});

test('--events and --from-stream together are refused (the stream used to win silently)', () => {
  const labels = labelFile('labels-both.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const run = build(labels, join(dir, 'train-both.csv'), '--from-stream');
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--events or --from-stream, not both/);
});

test('a built training set passed back as --labels is refused naming a feature column it already has (no duplicate columns)', () => {
  const labels = labelFile('labels-first.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const built = join(dir, 'built.csv');
  assert.equal(build(labels, built).status, 0);
  const run = build(built, join(dir, 'built-again.csv'));
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /built\.csv, line 1: column subject\.view_count_1h is also a feature/);
  assert.equal(existsSync(join(dir, 'built-again.csv')), false);
});

test('an error whose message already says it all is printed once, not again as its problem line', () => {
  const empty = join(dir, 'empty-events.csv');
  writeFileSync(empty, '');
  const labels = labelFile('labels-empty-events.csv', ['subject,ts,label', 'alice,2026-01-05T10:00:00Z,1']);
  const env: NodeJS.ProcessEnv = { ...process.env, IOB_DATA_DIR: join(dir, 'data') };
  delete env.NATS_URL;
  const run = spawnSync(process.execPath, [IOB_BIN, 'features', 'build', '--events', empty, '--labels', labels, '--out', join(dir, 'never.csv')], { env, encoding: 'utf8' });
  assert.equal(run.status, 2);
  const errors = run.stderr.split('\n').filter((l) => /the file is empty/.test(l));
  assert.deepEqual(errors, [`iob: ${empty}: line 1: the file is empty: a canonical CSV file starts with a header line`]);
});
