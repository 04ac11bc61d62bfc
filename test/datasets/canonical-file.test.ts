import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  createCanonicalWriter,
  readCanonicalBatches,
  readCanonicalEvents,
  type CanonicalEvent,
  type CanonicalRecord,
  type ReadCanonicalOptions,
} from '../../datasets/canonical-file.ts';
import { EVENT_TYPES, IobError } from '../../engine/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'iob-canonical-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
const tempPath = (suffix: string) => join(dir, `f${fileCounter++}${suffix}`);

async function readAll(path: string, options?: ReadCanonicalOptions): Promise<CanonicalRecord[]> {
  const records: CanonicalRecord[] = [];
  for await (const record of readCanonicalEvents(path, options)) records.push(record);
  return records;
}

async function writeEvents(path: string, events: readonly CanonicalEvent[]): Promise<void> {
  const writer = createCanonicalWriter(path);
  for (const event of events) await writer.write(event);
  await writer.close();
}

function writeText(suffix: string, text: string): string {
  const path = tempPath(suffix);
  writeFileSync(path, suffix.endsWith('.gz') ? gzipSync(text) : text);
  return path;
}

const events = (records: CanonicalRecord[]) => records.map((r) => ('event' in r ? r.event : assert.fail(`line ${r.line}: ${r.error.column} ${r.error.message}`)));

const SAMPLE: CanonicalEvent[] = [
  { id: 'e1', ts: 1_717_200_000_000, subject: 'u1', type: 'view', session: 's1', item: 'i1', category: 'c1', price: 12.99 },
  { id: 'e2', ts: 1_717_200_001_000, subject: 'u1', type: 'cart_add', session: 's1', item: 'i1', category: 'c1', price: 0, quantity: 3 },
  { id: 'e3', ts: 0, subject: 'Smith, "J"', type: 'search' },
  { id: 'e4', ts: 8_640_000_000_000_000, subject: 'line\nbreak\r\nand ümlaut ✓', type: 'purchase', item: ' padded ', price: 1e-7, quantity: 1_000_000 },
  { id: 'e5', ts: 1_717_200_002_000, subject: 'u2', type: 'refund', price: 123456.789, quantity: 1 },
];

for (const suffix of ['.csv', '.jsonl', '.ndjson', '.csv.gz', '.jsonl.gz']) {
  test(`round trip through ${suffix}`, async () => {
    const path = tempPath(suffix);
    await writeEvents(path, SAMPLE);
    assert.deepEqual(events(await readAll(path)), SAMPLE);
  });
}

const arbitraryEvent: fc.Arbitrary<CanonicalEvent> = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }),
      ts: fc.integer({ min: 0, max: 8.64e15 }),
      subject: fc.string({ minLength: 1, maxLength: 256, unit: 'binary' }),
      session: fc.string({ minLength: 1, maxLength: 40 }),
      type: fc.constantFrom(...EVENT_TYPES),
      item: fc.string({ minLength: 1, maxLength: 128 }),
      category: fc.string({ minLength: 1, maxLength: 20 }),
      price: fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true }).map((p) => (Object.is(p, -0) ? 0 : p)),
      quantity: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { requiredKeys: ['id', 'ts', 'subject', 'type'] },
  )
  .map((e) => ({ ...e }) as CanonicalEvent); // fast-check's records have no prototype; events do

for (const suffix of ['.csv', '.jsonl']) {
  test(`any valid event survives ${suffix} unchanged (property)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryEvent, { minLength: 1, maxLength: 20 }), async (sample) => {
        const path = tempPath(suffix);
        await writeEvents(path, sample);
        assert.deepEqual(events(await readAll(path)), sample);
      }),
      { numRuns: 60 },
    );
  });
}

test('numbers read from CSV equal what Number() makes of the same text (the fast paths are exact)', async () => {
  const decimal = fc
    .tuple(fc.stringMatching(/^\d{1,12}$/), fc.option(fc.stringMatching(/^\d{0,8}$/), { nil: undefined }))
    .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));
  const texts = fc.sample(decimal, { numRuns: 3000, seed: 7 }).concat(['0.1', '0.30000000000000004', '1e-7', '+5', '-0', '.5', '5.', '123456789012.345', '1000000000000']);
  const path = writeText('.csv', `id,ts,subject,type,price,quantity\n${texts.map((t, i) => `e${i},${t.replace(/\D/g, '').slice(0, 15) || '0'},u,view,${t},`).join('\n')}\n`);
  const records = await readAll(path);
  records.forEach((record, i) => {
    const text = texts[i]!;
    assert.ok('event' in record, `price ${text}`);
    assert.ok(Object.is(record.event.price, Number(text) === 0 ? 0 : Number(text)), `price ${text} read as ${record.event.price}`);
    assert.equal(record.event.ts, Number(text.replace(/\D/g, '').slice(0, 15) || '0'));
  });
});

test('tiny read chunks give the same records: lines, quotes and multi-byte characters split across chunks', async () => {
  const path = tempPath('.csv');
  await writeEvents(path, SAMPLE);
  for (const chunkBytes of [1, 7, 64]) assert.deepEqual(await readAll(path, { chunkBytes }), await readAll(path));
});

test('CSV columns may come in any order; extra columns are ignored; empty cells are absent; BOM and CRLF are fine', async () => {
  const path = writeText(
    '.csv',
    '\uFEFFnote,TYPE,ts,subject,id,price,session,quantity,item,category\r\n' +
      'hello,view,1700000000000,u1,a,,,,,\r\n' +
      '"x, y",purchase,2024-03-10T12:00:00+01:00,u2,b,9.5,s,2,i,c\r\n' +
      '\r\n' +
      ',view,2024-03-10T12:00:00.5Z,u3,c,,,,,\r\n',
  );
  const records = await readAll(path);
  assert.deepEqual(
    records.map((r) => r.line),
    [2, 3, 5],
  );
  assert.deepEqual(events(records), [
    { id: 'a', ts: 1_700_000_000_000, subject: 'u1', type: 'view' },
    { id: 'b', ts: Date.UTC(2024, 2, 10, 11), subject: 'u2', type: 'purchase', session: 's', item: 'i', category: 'c', price: 9.5, quantity: 2 },
    { id: 'c', ts: Date.UTC(2024, 2, 10, 12, 0, 0, 500), subject: 'u3', type: 'view' },
  ]);
});

test('JSONL: numeric identifiers become strings, null means absent, unknown keys are ignored', async () => {
  const path = writeText(
    '.jsonl',
    '{"id":"a","ts":"1700000000000","subject":42,"type":"view","item":7,"price":null,"context":{"ip":"1.2.3.4"}}\n\n' +
      '{"id":"b","ts":"2024-01-01T00:00:00Z","subject":"u","type":"purchase","quantity":2,"price":3}\n',
  );
  const records = await readAll(path);
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 3],
  );
  assert.deepEqual(events(records), [
    { id: 'a', ts: 1_700_000_000_000, subject: '42', type: 'view', item: '7' },
    { id: 'b', ts: Date.UTC(2024, 0, 1), subject: 'u', type: 'purchase', quantity: 2, price: 3 },
  ]);
});

/** Bad CSV rows: each names its line and column, and the message never repeats the cell. */
const BAD_CSV_ROWS: { row: string; column: string; secret: string }[] = [
  { row: ',1700000000000,u,view,,,,', column: 'id', secret: '' },
  { row: `${'SECRETID'.repeat(17)},1700000000000,u,view,,,,`, column: 'id', secret: 'SECRETID' },
  { row: 'a,SECRET-TIME,u,view,,,,', column: 'ts', secret: 'SECRET-TIME' },
  { row: 'a,2024-02-30T10:00:00Z,u,view,,,,', column: 'ts', secret: '2024-02-30' },
  { row: 'a,2024-03-01T10:00:00,u,view,,,,', column: 'ts', secret: '2024-03-01' },
  { row: 'a,1.5,u,view,,,,', column: 'ts', secret: '1.5' },
  { row: 'a,1700000000000,,view,,,,', column: 'subject', secret: '' },
  { row: 'a,1700000000000,u,SECRET_TYPE,,,,', column: 'type', secret: 'SECRET_TYPE' },
  { row: 'a,1700000000000,u,VIEW,,,,', column: 'type', secret: 'VIEW' },
  { row: 'a,1700000000000,u,view,i,c,-12.75,', column: 'price', secret: '12.75' },
  { row: 'a,1700000000000,u,view,i,c,0x1F,', column: 'price', secret: '0x1F' },
  { row: 'a,1700000000000,u,view,i,c,Infinity,', column: 'price', secret: 'Infinity' },
  // above MAX_PRICE (1e12): sums over windows must stay finite; the digit fast path and the general parse
  { row: 'a,1700000000000,u,view,i,c,9999999999999,', column: 'price', secret: '9999999999999' },
  { row: 'a,1700000000000,u,view,i,c,1e308,', column: 'price', secret: '1e308' },
  { row: 'a,1700000000000,u,view,i,c,,7.25', column: 'quantity', secret: '7.25' },
  { row: 'a,1700000000000,u,view,i,c,,-3', column: 'quantity', secret: '-3' },
  { row: 'a,1700000000000,u,view,i,c,,2000000', column: 'quantity', secret: '2000000' },
  { row: 'a,1700000000000,u,view,i,c,,1e308', column: 'quantity', secret: '1e308' },
  { row: 'a,1700000000000,u,view,i,SECRET_EXTRA,1,1,surplus', column: '(row)', secret: 'SECRET_EXTRA' },
  { row: 'a,1700000000000,u,view', column: '(row)', secret: '1700000000000' },
  { row: 'a,1700000000000,u,view,"SECRET"x,,,', column: '(row)', secret: 'SECRET' },
];

test('bad CSV rows are reported with line and column, without their value; good rows around them survive', async () => {
  const header = 'id,ts,subject,type,item,category,price,quantity';
  const good = 'ok,1700000000000,u,view,,,,';
  const path = writeText('.csv', [header, good, ...BAD_CSV_ROWS.map((b) => b.row), good].join('\n') + '\n');
  const records = await readAll(path);
  assert.equal(records.length, BAD_CSV_ROWS.length + 2);
  assert.ok('event' in records[0]! && 'event' in records.at(-1)!);
  BAD_CSV_ROWS.forEach((bad, i) => {
    const record = records[i + 1]!;
    assert.equal(record.line, i + 3, `row ${i}`);
    assert.ok('error' in record, `row ${i} (${bad.column}) should be rejected`);
    assert.equal(record.error.column, bad.column, `row ${i}`);
    assert.ok(record.error.message.length > 5);
    if (bad.secret) assert.ok(!record.error.message.includes(bad.secret), `row ${i}: message repeats the value: ${record.error.message}`);
  });
});

test('bad JSONL rows are reported with line and column; a later non-JSON line is a bad row, not the end', async () => {
  const path = writeText(
    '.jsonl',
    [
      '{"id":"a","ts":1700000000000,"subject":"u","type":"view"}',
      '{"id":"b","ts":1700000000000.5,"subject":"u","type":"view"}',
      '{"id":"c","ts":1700000000000,"subject":{"email":"SECRET@x.y"},"type":"view"}',
      '{"id":"d","ts":1700000000000,"subject":"u","type":"view","price":"9.99"}',
      '{"id":"e","ts":1700000000000,"subject":"u","type":"view","quantity":0}',
      'SECRET not json',
      '[1,2]',
      '{"id":"f","ts":1700000000000,"subject":"u","type":"view"}',
    ].join('\n'),
  );
  const records = await readAll(path);
  const summary = records.map((r) => ('event' in r ? `${r.line}:ok` : `${r.line}:${r.error.column}`));
  assert.deepEqual(summary, ['1:ok', '2:ts', '3:subject', '4:price', '5:quantity', '6:(row)', '7:(row)', '8:ok']);
  for (const r of records) if ('error' in r) assert.ok(!r.error.message.includes('SECRET'));
});

test('strict mode throws at the first bad row, naming line and column', async () => {
  const path = writeText('.csv', 'id,ts,subject,type\na,1,u,view\nb,SECRET,u,view\nc,x,u,view\n');
  await assert.rejects(readAll(path, { strict: true }), (err: unknown) => {
    assert.ok(err instanceof IobError);
    assert.equal(err.code, 'IOB_ERR_VALIDATION');
    assert.match(err.message, /line 3: ts /);
    assert.equal(err.problems[0]?.path, 'lines.3.ts');
    assert.ok(!err.message.includes('SECRET'));
    return true;
  });
});

test('files in the wrong format fail with a clear error naming the line', async () => {
  const folderNamedCsv = join(dir, 'folder.csv');
  mkdirSync(folderNamedCsv);
  const cases: { path: string; pattern: RegExp }[] = [
    // No header: the first data row is taken as one, and lacks the column names (its values are not echoed).
    { path: writeText('.csv', 'SECRET-1,1700000000000,u,view\n'), pattern: /line 1: the header lacks the required columns id, ts, subject, type/ },
    { path: writeText('.csv', 'id,ts,subject\n'), pattern: /lacks the required column type/ },
    { path: writeText('.csv', 'id,ts,subject,type,id\n'), pattern: /names the column id twice/ },
    { path: writeText('.csv', ''), pattern: /empty/ },
    { path: writeText('.jsonl', 'id,ts,subject,type\nSECRET-1,1,u,view\n'), pattern: /line 1 is not valid JSON/ },
    { path: writeText('.txt', 'id,ts,subject,type\n'), pattern: /unsupported file name/ },
    { path: join(dir, 'missing.csv'), pattern: /no such file/ },
    { path: folderNamedCsv, pattern: /is a directory/ },
  ];
  // A .gz name over plain text is not gzip.
  const notGzip = tempPath('.csv.gz');
  writeFileSync(notGzip, 'id,ts,subject,type\n');
  cases.push({ path: notGzip, pattern: /not a valid gzip file/ });

  for (const { path, pattern } of cases) {
    await assert.rejects(readAll(path), (err: unknown) => {
      assert.ok(err instanceof IobError, `${path}: ${String(err)}`);
      assert.equal(err.code, 'IOB_ERR_VALIDATION');
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('SECRET'));
      return true;
    });
  }
});

test('leaving the loop early closes the file', { skip: !existsSync('/proc/self/fd') }, async () => {
  const path = tempPath('.csv');
  await writeEvents(path, SAMPLE);
  const openFiles = () => readdirSync('/proc/self/fd').length;
  const before = openFiles();
  for await (const record of readCanonicalEvents(path)) {
    assert.equal(record.line, 2);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(openFiles(), before);
});

test('batches hold every record once, in file order', async () => {
  const path = tempPath('.csv');
  const many = Array.from({ length: 5000 }, (_, i): CanonicalEvent => ({ id: `e${i}`, ts: i, subject: `u${i % 7}`, type: 'view' }));
  await writeEvents(path, many);
  const lines: number[] = [];
  let batches = 0;
  for await (const batch of readCanonicalBatches(path, { chunkBytes: 4096 })) {
    batches++;
    for (const record of batch) lines.push(record.line);
  }
  assert.ok(batches > 1);
  assert.deepEqual(
    lines,
    many.map((_, i) => i + 2),
  );
});

test('the writer applies backpressure through gzip and the file appears only when closed', async () => {
  const path = tempPath('.jsonl.gz');
  const writer = createCanonicalWriter(path);
  let pending = 0;
  for (let i = 0; i < 60_000; i++) {
    const write = writer.write({ id: `e${i}`, ts: i, subject: 'u', type: 'view', item: `i${i % 100}`, price: i / 100 });
    // An unresolved promise here means the writer asked us to wait for the output to drain.
    const settled = await Promise.race([write.then(() => true), Promise.resolve(false)]);
    if (!settled) pending++;
    await write;
  }
  assert.ok(pending > 0, 'the writer should have made the producer wait at least once');
  assert.equal(writer.rowsWritten, 60_000);
  assert.equal(existsSync(path), false);
  await writer.close();
  assert.equal(existsSync(path), true);
  let count = 0;
  for await (const record of readCanonicalEvents(path)) if ('event' in record) count++;
  assert.equal(count, 60_000);
});

test('an aborted writer leaves nothing behind; raw rows are written as given', async () => {
  const aborted = join(dir, 'aborted', 'out.csv');
  const writer = createCanonicalWriter(aborted);
  await writer.write(SAMPLE[0]!);
  await writer.abort();
  assert.deepEqual(readdirSync(join(dir, 'aborted')), []);

  const path = tempPath('.csv');
  const raw = createCanonicalWriter(path);
  await raw.writeRow({ id: 'bad', ts: 'yesterday', subject: 'u', type: 'teleport' });
  await raw.close();
  const [record] = await readAll(path);
  assert.ok(record && 'error' in record);
  assert.equal(record.error.column, 'ts');
});

test('a binary file handed to a text reader is named for what it is: Parquet, ZIP (xlsx), gzip without .gz', async () => {
  const cases: [string, Buffer, RegExp][] = [
    ['parquet-named.csv', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7)]), /is a Parquet file/],
    ['xlsx-named.csv', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]), /is a ZIP archive/],
    ['events.csv', gzipSync('id,ts,subject,type\n'), /is gzip-compressed but its name does not end in \.gz/],
  ];
  for (const [name, bytes, why] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    await assert.rejects(readAll(path), (err: unknown) => err instanceof IobError && err.message.startsWith(`${path}: `) && why.test(err.message), name);
  }
});

test('a quantity out of range says so however it is written; a fraction is not a whole number', async () => {
  const { parseQuantityText } = await import('../../datasets/canonical-event.ts');
  const reason = (text: string) => {
    const q = parseQuantityText(text);
    return typeof q === 'number' ? q : q.reason;
  };
  assert.deepEqual(['3', '2000000', '-3', '1e308', '0.0', '2.5', 'lots'].map(reason), [3, 'out_of_range', 'out_of_range', 'out_of_range', 'out_of_range', 'invalid_number', 'invalid_number']);
});
