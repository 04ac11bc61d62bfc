/**
 * Training sets as Arrow IPC files (datasets/training-arrow.ts), read back with the library's own reader:
 * the rows across record batches, an empty set, and which label columns come out as numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { isPlainNumber, unsupportedOutput, writeTrainingArrow, type TrainingRows } from '../../datasets/training-arrow.ts';

async function written(set: TrainingRows): Promise<{ bytes: Buffer; writes: number }> {
  const chunks: Uint8Array[] = [];
  await writeTrainingArrow({ writeBytes: async (b) => void chunks.push(b) }, set);
  return { bytes: Buffer.concat(chunks), writes: chunks.length };
}

test('rows across several record batches read back exactly, in order', async () => {
  const rows = 150_001;
  const set: TrainingRows = {
    header: ['subject', 'label'],
    textColumns: [0],
    features: ['f.a', 'f.b'],
    rows,
    cells: (i) => [`u${i}`, String(i % 2)],
    values: (i) => [Math.fround(i / 7), -i],
  };
  const table = tableFromIPC((await written(set)).bytes);
  assert.equal(table.numRows, rows);
  assert.equal(table.batches.length, 3, 'record batches of 65,536 rows');
  const [subject, label, a, b] = [0, 1, 2, 3].map((c) => table.getChildAt(c)!);
  for (const i of [0, 1, 65_535, 65_536, 131_072, rows - 1]) {
    assert.equal(subject!.get(i), `u${i}`);
    assert.equal(label!.get(i), i % 2);
    assert.equal(a!.get(i), Math.fround(i / 7));
    assert.equal(b!.get(i), -i);
  }
});

test('an empty set is a valid file with its columns', async () => {
  const table = tableFromIPC((await written({ header: ['subject', 'ts', 'label'], textColumns: [0], features: ['f.a'], rows: 0, cells: () => [], values: () => [] })).bytes);
  assert.equal(table.numRows, 0);
  assert.deepEqual(table.schema.fields.map((f) => f.name), ['subject', 'ts', 'label', 'f.a']);
  assert.equal(String(table.schema.fields[3]!.type), 'Float32');
});

test('ids stay text; a column is float64 only when its cells are plain decimal numbers that read back as written', async () => {
  const header = ['Subject', 'session', 'item', 'ts', 'label', 'weight', 'code', 'big', 'hex', 'spaced'];
  const rows = [
    ['00042', '7', '12', '1767607200000', '1', '0.5', '007', '12345678901234567890', '0x10', ' 1'],
    ['42', '8', '13', '1767607200001', '0', '', '8', '1', '16', '2'],
  ];
  const table = tableFromIPC((await written({ header, textColumns: [0, 1, 2], features: [], rows: rows.length, cells: (i) => rows[i]!, values: () => [] })).bytes);
  const types = table.schema.fields.map((f) => `${f.name}:${String(f.type)}`);
  assert.deepEqual(types, ['Subject:Utf8', 'session:Utf8', 'item:Utf8', 'ts:Float64', 'label:Float64', 'weight:Float64', 'code:Utf8', 'big:Utf8', 'hex:Utf8', 'spaced:Utf8']);
  assert.deepEqual(table.getChildAt(0)!.toArray(), ['00042', '42'], 'two subjects stay two ids');
  assert.equal(table.getChildAt(5)!.get(1), null, 'an empty cell is null');
  assert.deepEqual([table.getChildAt(6)!.get(0), table.getChildAt(7)!.get(0), table.getChildAt(9)!.get(0)], ['007', '12345678901234567890', ' 1'], 'text as written');
  for (const yes of ['0', '-0', '12', '-3.25', '1e3', '2.5E-7', '9007199254740991']) assert.ok(isPlainNumber(yes), yes);
  for (const no of ['', ' 1', '1 ', '+5', '5.', '.5', '007', '0x10', '0b11', 'NaN', 'Infinity', '1e400', '9007199254740993']) assert.ok(!isPlainNumber(no), no);
});

test('output names of formats not written are refused with the reason', () => {
  assert.match(unsupportedOutput('train.arrow.gz')!, /not gzipped/);
  assert.match(unsupportedOutput('TRAIN.FEATHER.GZ')!, /not gzipped/);
  assert.match(unsupportedOutput('train.parquet')!, /Parquet is not written/);
  assert.match(unsupportedOutput('train.arrows')!, /stream format/);
  for (const ok of ['train.csv', 'train.csv.gz', 'train.arrow', 'train.feather', 'train.ipc']) assert.equal(unsupportedOutput(ok), undefined, ok);
});
