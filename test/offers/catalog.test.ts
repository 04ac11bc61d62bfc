/**
 * The offer catalog: files validated row by row (line and column in every problem, values never echoed),
 * nothing loaded from an invalid or empty file, and `replace` on a real nats-server's KV bucket.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { connect } from 'nats';
import { readCatalogFile, requireValidCatalog } from '../../datasets/index.ts';
import { isIobError, openCatalogStore } from '../../engine/index.ts';
import { IOB_BIN } from '../helpers/cli-process.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';

const run = promisify(execFile);

async function file(t: Parameters<typeof tempDir>[0], name: string, lines: string[]): Promise<string> {
  const path = join(tempDir(t), name);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

test('CSV: columns in any order, only id required, tags split on ;, in_stock defaults to true', async (t) => {
  const path = await file(t, 'c.csv', [
    'price,id,category,in_stock,tags,margin,eligible_from,eligible_until',
    '9.5,sku-1,shoes,false,summer; sale,0.3,2026-01-01T00:00:00Z,2026-02-01T00:00:00+01:00',
    ',"sku, 2",,,,,,',
  ]);
  const { entries, problems } = await readCatalogFile(path);
  assert.deepEqual(problems, []);
  assert.deepEqual(entries, [
    { id: 'sku-1', category: 'shoes', price: 9.5, margin: 0.3, in_stock: false, tags: ['summer', 'sale'], eligible_from: '2026-01-01T00:00:00Z', eligible_until: '2026-02-01T00:00:00+01:00' },
    { id: 'sku, 2', in_stock: true },
  ]);
});

test('CSV problems name line and column and never repeat the value', async (t) => {
  const path = await file(t, 'bad.csv', [
    'id,category,price,margin,in_stock,colour',
    'a,c,12,0.1,true,',
    'b,c,SECRET-abc,0.1,true,',
    'c,c,-1,2,maybe,',
    'a,c,1,0.1,true,',
    'd,c,1',
    'e,c,1e308,0.1,true,',
  ]);
  const read = await readCatalogFile(path);
  const seen = read.problems.map((p) => `${p.line}:${p.column}:${p.reason}`);
  assert.deepEqual(seen, [
    '1:6:unknown_column',
    '3:3 (price):invalid_type',
    '4:3 (price):too_small',
    '4:4 (margin):too_big',
    '4:5 (in_stock):invalid_type',
    '5:1 (id):duplicate',
    '6:(row):field_count',
    '7:3 (price):too_big',
  ]);
  assert.ok(read.problems.every((p) => !p.message.includes('SECRET') && !p.message.includes('maybe')));
  assert.throws(
    () => requireValidCatalog(path, read),
    (err: unknown) => isIobError(err) && /8 problems in the catalog; nothing was loaded/.test(err.message) && err.problems[1]!.path === 'line 3, column 3 (price)',
  );
});

test('an empty id is "required"; a header without id is one problem, not one per row', async (t) => {
  const empty = await readCatalogFile(await file(t, 'empty-id.csv', ['id,category,price', ',c,1', 'b,c,2']));
  assert.deepEqual(empty.problems.map((p) => `${p.line}:${p.column}:${p.reason}:${p.message}`), ['2:1 (id):required:is required']);
  const noId = await readCatalogFile(await file(t, 'no-id.csv', ['sku,category,price', 'a,c,1', 'b,c,2']));
  assert.deepEqual(noId.problems.map((p) => `${p.line}:${p.column}:${p.reason}`), ['1:1:unknown_column', '1:(header):required']);
  const semicolons = await readCatalogFile(await file(t, 'semicolons.csv', ['id;category;price', 'a;c;1']));
  assert.match(semicolons.problems.at(-1)!.message, /^has no id column \(the header reads as one column: the file is separated by ';'/);
});

test('JSONL problems: invalid JSON, unknown fields, eligibility the wrong way round; an empty catalog is refused', async (t) => {
  const path = await file(t, 'bad.jsonl', [
    '{"id":"a","price":1}',
    '{"id":"b",',
    '{"id":"c","colour":"red"}',
    '{"id":"d","eligible_from":"2026-02-01T00:00:00Z","eligible_until":"2026-01-01T00:00:00Z"}',
    '{"id":"e","eligible_from":"2026-02-01"}',
  ]);
  const read = await readCatalogFile(path);
  assert.deepEqual(
    read.problems.map((p) => `${p.line}:${p.column}`),
    ['2:(row)', '3:(row)', '4:eligible_until', '5:eligible_from'],
  );
  assert.match(read.problems[1]!.message, /unknown field colour/);
  const empty = await file(t, 'empty.csv', ['id,price']);
  const emptyRead = await readCatalogFile(empty);
  assert.throws(() => requireValidCatalog(empty, emptyRead), /the catalog is empty/);
  await assert.rejects(readCatalogFile(join(tempDir(t), 'x.json')), /unsupported catalog file name/);
});

test('KV: replace adds, updates, keeps and removes; ids round-trip whatever their characters', async (t) => {
  const server = await startTestNats(t);
  const nc = await connect({ servers: server.url });
  defer(t, () => nc.close());
  const store = await openCatalogStore(nc.jetstream());
  const first = await store.replace([{ id: 'sku 1/ü', price: 3, in_stock: true }, { id: 'b', in_stock: false }, { id: 'c', in_stock: true }]);
  assert.deepEqual(first, { items: 3, added: 3, updated: 0, unchanged: 0, removed: 0 });
  const second = await store.replace([{ id: 'sku 1/ü', price: 4, in_stock: true }, { id: 'b', in_stock: false }, { id: 'd', in_stock: true }]);
  assert.deepEqual(second, { items: 3, added: 1, updated: 1, unchanged: 1, removed: 1 });
  assert.deepEqual(await store.ids(), ['b', 'd', 'sku 1/ü']);
  assert.deepEqual(await store.get('sku 1/ü'), { id: 'sku 1/ü', price: 4, in_stock: true });
  assert.equal(await store.get('c'), undefined);
  // A second process sees the same catalog.
  const other = await connect({ servers: server.url });
  defer(t, () => other.close());
  assert.deepEqual(await (await openCatalogStore(other.jetstream())).ids(), ['b', 'd', 'sku 1/ü']);
});

test('iob catalog load: a bad file is a clear CLI error naming line and column; --dry-run validates a good one', async (t) => {
  const bad = await file(t, 'bad.csv', ['id,price', 'a,1', 'b,oops']);
  const failed = await run(process.execPath, [IOB_BIN, 'catalog', 'load', '--file', bad, '--dry-run']).then(
    () => assert.fail('must fail'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /line 3, column 2 \(price\)/);
  const good = await file(t, 'good.csv', ['id,price', 'a,1', 'b,2']);
  const { stdout } = await run(process.execPath, [IOB_BIN, 'catalog', 'load', '--file', good, '--dry-run']);
  assert.match(stdout, /2 valid entries/);
});
