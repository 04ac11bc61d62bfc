import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readCanonicalEvents, readLabelFile } from '../../datasets/index.ts';
import { CSV_ERRORS, CsvRecordAssembler, CsvSyntaxError, csvField, separatorHint, splitCsvRecord } from '../../datasets/io/csv.ts';
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

/** Feeds lines 1, 2, … to an assembler, then ends the input; every record emitted, with its line. */
function records(lines: readonly string[]): Array<[string[] | CsvSyntaxError, number]> {
  const assembler = new CsvRecordAssembler();
  const emitted: Array<[string[] | CsvSyntaxError, number]> = [];
  const sink = (fields: string[] | CsvSyntaxError, line: number) => void emitted.push([fields, line]);
  lines.forEach((text, i) => assembler.push(text, i + 1, sink));
  assembler.finish(sink);
  return emitted;
}

test('a quoted field may span lines; the record reports the line it started on', () => {
  const assembler = new CsvRecordAssembler();
  const emitted: Array<[string[] | CsvSyntaxError, number]> = [];
  const sink = (fields: string[] | CsvSyntaxError, line: number) => void emitted.push([fields, line]);
  assembler.push('a,b', 1, sink);
  assembler.push('x,"first', 2, sink);
  assert.equal(assembler.continuing, true);
  assembler.push('', 3, sink);
  assembler.push('last",y', 4, sink);
  assert.equal(assembler.recordLine, 2);
  assembler.push('', 5, sink); // a blank line outside quotes is no record
  assert.deepEqual(emitted, [
    [['a', 'b'], 1],
    [['x', 'first\n\nlast', 'y'], 2],
  ]);
  assert.deepEqual(records(['"never closed']), [[CSV_ERRORS.unterminatedQuote, 1]]);
});

test('a stray quote costs its own row only: the lines it took in are read again as rows', () => {
  // at the end of input, still open
  assert.deepEqual(records(['a,1', 'b,"oops', 'c,3', '', 'e,5']), [
    [['a', '1'], 1],
    [CSV_ERRORS.unterminatedQuote, 2],
    [['c', '3'], 3],
    [['e', '5'], 5],
  ]);
  // "closed" by a later row's quote, with text after it: malformed, so the first line's quote was stray
  assert.deepEqual(records(['b,"oops', 'c,3', 'd,"x",4', 'f,6']), [
    [CSV_ERRORS.unterminatedQuote, 1],
    [['c', '3'], 2],
    [['d', 'x', '4'], 3],
    [['f', '6'], 4],
  ]);
  // a real multi-line cell between them is still one record
  assert.deepEqual(records(['a,"one', 'two",2', 'b,"oops', 'c,3']), [
    [['a', 'one\ntwo', '2'], 1],
    [CSV_ERRORS.unterminatedQuote, 3],
    [['c', '3'], 4],
  ]);
});

test('csvField quotes only when needed, and quoting round-trips any text', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), (cells) => {
      const lines = cells.map(csvField).join(',').split('\n');
      const emitted = records(lines);
      // A record made of a single empty cell is a blank line, which the assembler skips.
      if (cells.length === 1 && cells[0] === '') return emitted.length === 0;
      assert.deepEqual(emitted, [[cells, 1]]);
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

test('a stray quote in a label or event file costs that row: the good rows after it are read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iob-stray-quote-'));
  try {
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'subject,ts,note\nu1,2024-01-01T00:00:00Z,"oops\nu2,2024-01-01T00:00:00Z,fine\nu3,2024-01-01T00:00:00Z,"a ""quoted"" note"\n');
    const read = await readLabelFile(labels);
    assert.deepEqual(read.badRows.map((b) => `${b.line}:${b.reason}`), ['2:unterminated_quote']);
    assert.deepEqual(read.rows.map((r) => [r.line, r.subject, r.cells[2]]), [[3, 'u2', 'fine'], [4, 'u3', 'a "quoted" note']]);
    const events = join(dir, 'events.csv');
    writeFileSync(events, 'id,ts,subject,type,item\ne1,1700000000000,u1,view,"oops\ne2,1700000000001,u1,view,i2\ne3,1700000000002,u1,view,"i,3"\n');
    const lines: string[] = [];
    for await (const r of readCanonicalEvents(events)) lines.push('error' in r ? `${r.line}:${r.error.reason}` : `${r.line}:${r.event.item}`);
    assert.deepEqual(lines, ['2:unterminated_quote', '3:i2', '4:i,3']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
