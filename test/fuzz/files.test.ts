/**
 * Input fuzzing of the file loaders (canonical event files as CSV and JSONL, label files, demand series
 * files): valid files with lines mangled — cut, doubled quotes, binary bytes, lone surrogates, huge
 * fields, NaN, a BOM, CRLF, missing and extra columns. A loader either reads the file (bad rows reported
 * with their line) or refuses it with a validation error naming the line; it never crashes or hangs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { readCanonicalEvents, readLabelFile } from '../../datasets/index.ts';
import { isIobError } from '../../engine/index.ts';
import { readSeriesFile } from '../../training/forecast/series.ts';
import { tempDir } from '../helpers/nats.ts';

const FILES_PER_LOADER = 300;

/** Mostly the line as it was (so whole files are often intact), else one of many ways to break it. */
const mangle = (line: string) =>
  fc.oneof(
    { arbitrary: fc.constant(line), weight: 30 },
    fc.nat({ max: 200 }).map((n) => line.slice(0, n % (line.length + 1))),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom('"', '""', '"unterminated', '\uD800', '\uFEFF' + line, line + '\r', line + ',extra,,', 'NaN', '1e999', 'x'.repeat(70_000)),
    fc.tuple(fc.nat(), fc.string({ unit: 'grapheme', maxLength: 8 })).map(([at, s]) => line.slice(0, at % (line.length + 1)) + s + line.slice(at % (line.length + 1))),
  );

const fileFrom = (header: string, row: fc.Arbitrary<string>) =>
  fc
    .tuple(mangle(header), fc.array(row.chain(mangle), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'))
    .map(([h, rows, eol]) => [h, ...rows].join(eol));

const canonicalCsvRow = fc
  .record({ ts: fc.integer({ min: 0, max: 2e12 }), subject: fc.string({ minLength: 1, maxLength: 8 }), type: fc.constantFrom('view', 'purchase', 'cart_add', 'nope'), qty: fc.integer({ min: -3, max: 9 }) })
  .map((r) => `id-${r.ts},${r.ts},"${r.subject.replaceAll('"', '""')}",,${r.type},sku-1,cat,9.5,${r.qty}`);
const canonicalJsonRow = fc.record({ id: fc.string(), ts: fc.oneof(fc.integer(), fc.string()), subject: fc.string(), type: fc.string() }).map((r) => JSON.stringify(r));
const labelRow = fc.record({ subject: fc.string({ minLength: 1, maxLength: 8 }).map((x) => x.replace(/[",\r\n]/g, '_')), ts: fc.oneof({ arbitrary: fc.nat(), weight: 8 }, fc.constant('2026-01-01T00:00:00Z'), fc.string()) }).map((r) => `${r.subject},${r.ts},1`);
const seriesRow = fc
  .record({ date: fc.oneof({ arbitrary: fc.constant('2026-01-05'), weight: 8 }, fc.constant('2026-02-30'), fc.string({ maxLength: 12 })), series: fc.constantFrom('a', 'b', 'c'), qty: fc.oneof({ arbitrary: fc.integer({ min: -5, max: 50 }).map(String), weight: 8 }, fc.string({ maxLength: 4 })) })
  .map((r) => `${r.date},${r.series},${r.qty}`);

/**
 * A refusal must be a validation error naming the file and, for a bad row, its line (a file-level refusal —
 * empty, no header, nothing usable — names the file); anything else (a TypeError, a hang) fails.
 */
function assertRefusal(err: unknown, path: string) {
  assert.ok(isIobError(err), `not a validation error: ${(err as Error)?.stack ?? err}`);
  assert.ok(err.message.includes(path), `the refusal names the file: ${err.message.slice(0, 200)}`);
  assert.ok(err.message.length < 2000, 'the refusal does not quote a huge field');
}

async function fuzzLoader(t: TestContext, name: string, file: fc.Arbitrary<string>, extension: string, load: (path: string) => Promise<unknown>) {
  const dir = tempDir(t, `iob-fuzz-${name}-`);
  let read = 0;
  let refused = 0;
  let n = 0;
  await fc.assert(
    fc.asyncProperty(file, async (text) => {
      const path = join(dir, `f${n++}.${extension}`);
      writeFileSync(path, text);
      try {
        await load(path);
        read++;
      } catch (err) {
        assertRefusal(err, path);
        refused++;
      }
    }),
    { numRuns: FILES_PER_LOADER, seed: 12, includeErrorInReport: true },
  );
  return { read, refused };
}

test('canonical event files (CSV and JSONL): bad rows are reported with their line, never a crash', async (t) => {
  const drain = async (path: string) => {
    let rows = 0;
    for await (const row of readCanonicalEvents(path)) {
      rows++;
      if ('error' in row) assert.ok(row.line >= 1 && row.error.message.length > 0 && row.error.column.length > 0, JSON.stringify(row.error).slice(0, 200));
    }
    return rows;
  };
  const csv = await fuzzLoader(t, 'csv', fileFrom('id,ts,subject,session,type,item,category,price,quantity', canonicalCsvRow), 'csv', drain);
  const jsonl = await fuzzLoader(t, 'jsonl', fc.array(canonicalJsonRow.chain(mangle), { maxLength: 40 }).map((l) => l.join('\n')), 'jsonl', drain);
  assert.ok(csv.read > 0 && jsonl.read > 0, 'most files are read, bad rows skipped');
});

test('label files and demand series files: read, or refused with the line named', async (t) => {
  const labels = await fuzzLoader(t, 'labels', fileFrom('subject,ts,label', labelRow), 'csv', readLabelFile);
  const series = await fuzzLoader(t, 'series', fileFrom('date,series,quantity', seriesRow), 'csv', (p) => readSeriesFile(p));
  assert.ok(labels.refused > 0 && series.refused > 0, 'mangled files are refused');
  assert.ok(labels.read > 0 && series.read > 0, 'intact files are read');
});
