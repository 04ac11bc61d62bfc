import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readCanonicalEvents, readLabelFile } from '../../datasets/index.ts';
import { CSV_ERRORS, CsvRecordAssembler, csvField, separatorHint, splitCsvRecord } from '../../datasets/io/csv.ts';
import { IobError } from '../../engine/index.ts';
import { readSeriesFile } from '../../training/forecast/series.ts';

test('plain lines split on commas; empty cells stay empty; a CRLF ending is not part of the last field', () => {
  assert.deepEqual(splitCsvRecord('a,b,,d'), ['a', 'b', '', 'd']);
  assert.deepEqual(splitCsvRecord('a,b,\r'), ['a', 'b', '']);
  assert.deepEqual(splitCsvRecord(''), ['']);
});

test('quoted fields hold commas and doubled quotes (RFC 4180)', () => {
  assert.deepEqual(splitCsvRecord('1,"Smith, J.","say ""hi""",x'), ['1', 'Smith, J.', 'say "hi"', 'x']);
  assert.deepEqual(splitCsvRecord('"",""""'), ['', '"']);
  assert.deepEqual(splitCsvRecord('"a","b"\r'), ['a', 'b']);
});

test('a quote inside an unquoted field is kept literally', () => {
  assert.deepEqual(splitCsvRecord('5" nails,x'), ['5" nails', 'x']);
});

test('text after a closing quote and an unclosed quote are syntax errors', () => {
  assert.equal(splitCsvRecord('"a"b,c'), CSV_ERRORS.textAfterQuote);
  assert.equal(splitCsvRecord('"abc,d'), CSV_ERRORS.unterminatedQuote);
});

test('a quoted field may span lines; the record reports the line it started on', () => {
  const records = new CsvRecordAssembler();
  assert.deepEqual(records.push('a,b', 1), ['a', 'b']);
  assert.equal(records.push('x,"first', 2), undefined);
  assert.equal(records.continuing, true);
  assert.equal(records.push('', 3), undefined);
  assert.deepEqual(records.push('last",y', 4), ['x', 'first\n\nlast', 'y']);
  assert.equal(records.recordLine, 2);
  assert.equal(records.push('', 5), undefined, 'a blank line outside quotes is no record');
  assert.equal(records.push('"never closed', 6), undefined);
  assert.equal(records.finish(), CSV_ERRORS.unterminatedQuote);
  assert.equal(records.recordLine, 6);
});

test('csvField quotes only when needed, and quoting round-trips any text', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), (cells) => {
      const lines = cells.map(csvField).join(',').split('\n');
      const records = new CsvRecordAssembler();
      let result: ReturnType<CsvRecordAssembler['push']>;
      lines.forEach((line, i) => (result = records.push(line, i + 1) ?? result));
      // A record made of a single empty cell is a blank line, which the assembler skips.
      if (cells.length === 1 && cells[0] === '') return result === undefined;
      assert.deepEqual(result, cells);
      return true;
    }),
    { numRuns: 300 },
  );
});

test("a ';'- or tab-separated file read as CSV: the header error says how it is separated", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iob-separator-'));
  try {
    const events = join(dir, 'events.csv');
    writeFileSync(events, 'id;ts;subject;session;type;item;category;price;quantity\ne1;2024-01-01T00:00:00Z;u1;;view;i1;;;\n');
    await assert.rejects(
      (async () => {
        for await (const _ of readCanonicalEvents(events));
      })(),
      (err: unknown) => err instanceof IobError && /separated by ';'/.test(err.message),
    );
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'subject\tts\tlabel\nu1\t2024-01-01T00:00:00Z\t1\n');
    await assert.rejects(readLabelFile(labels), (err: unknown) => err instanceof IobError && /separated by tabs/.test(err.message));
    const series = join(dir, 'series.csv');
    writeFileSync(series, 'date;series;quantity\n2024-01-01;a;1\n');
    await assert.rejects(readSeriesFile(series), (err: unknown) => err instanceof IobError && /separated by ';'/.test(err.message));
    assert.equal(separatorHint(['id', 'ts']), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
