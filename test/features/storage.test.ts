/**
 * The store's storage primitives against plain JS models: the key table behaves as a Map under random
 * inserts and removals (with wide characters, namespaces, regrowth and byte-pool compaction), and block
 * lists as arrays of records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BlockLists } from '../../engine/features/block-lists.ts';
import { KeyTable } from '../../engine/features/key-table.ts';

test('KeyTable behaves like a Map of (namespace, key) under random inserts, lookups and removals', () => {
  // short and long (pooled) keys, one byte or two per character, including surrogate pairs
  const keyArb = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('a', 'b', 'é', '日本', '\u0000x', '', 'x'.repeat(23), 'y'.repeat(24), 'z'.repeat(25), 'ü'.repeat(12), '日'.repeat(13)),
    fc.nat(3000).map(String),
  );
  const opArb = fc.tuple(fc.constantFrom('put', 'put', 'get', 'del'), keyArb, fc.integer({ min: 0, max: 1 }));
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
      const table = new KeyTable(1, 16); // one double of payload per key, starting from 16 slots
      const model = new Map<string, number>();
      const payload = (slot: number) => slot * (table.stride >> 1) + table.payload;
      for (const [op, key, ns] of ops) {
        const id = `${ns}:${key}`;
        if (op === 'put') {
          const slot = table.findOrInsert(key, ns);
          assert.equal(table.inserted, !model.has(id));
          if (model.has(id)) assert.equal(slot, model.get(id));
          else assert.equal(table.f[payload(slot)], 0, 'a new key starts with a zeroed payload');
          table.f[payload(slot)] = slot + 0.5;
          model.set(id, slot);
        } else if (op === 'get') {
          assert.equal(table.find(key, ns), model.get(id) ?? -1);
        } else if (model.has(id)) {
          table.remove(model.get(id)!);
          model.delete(id);
        }
      }
      assert.equal(table.size, model.size);
      for (const [id, slot] of model) {
        const [ns, ...rest] = id.split(':');
        assert.equal(table.keyOf(slot), rest.join(':'));
        assert.equal(table.namespaceOf(slot), Number(ns));
        assert.equal(table.find(rest.join(':'), Number(ns)), slot);
        assert.equal(table.f[payload(slot)], slot + 0.5);
      }
      const restored = KeyTable.fromState(table.state(), 1);
      for (const [id, slot] of model) {
        assert.equal(restored.find(id.slice(id.indexOf(':') + 1), Number(id[0])), slot);
        assert.equal(restored.f[payload(slot)], slot + 0.5);
      }
    }),
    { numRuns: 60 },
  );
});

test('KeyTable reclaims the bytes of removed keys', () => {
  const table = new KeyTable();
  for (let round = 0; round < 20; round++) {
    const slots = Array.from({ length: 5000 }, (_, i) => table.findOrInsert(`round-${round}-key-${i}-with-some-length`));
    for (const s of slots) table.remove(s);
  }
  assert.equal(table.size, 0);
  assert.ok(table.byteSize() < 2_000_000, `byte pool stays bounded (${table.byteSize()} bytes)`);
});

test('BlockLists keeps each owner’s records like an array, through growth, shrinking and reuse', () => {
  const opArb = fc.tuple(fc.nat(20), fc.constantFrom('insert', 'insert', 'insert', 'truncate', 'clear'), fc.nat(), fc.integer());
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 800 }), (ops) => {
      const lists = new BlockLists(1, 2);
      const refs = new Int32Array(2 * 21).fill(-1);
      const model: [number, number, number][][] = Array.from({ length: 21 }, () => []);
      for (const [owner, op, pos, value] of ops) {
        const m = model[owner]!;
        if (op === 'insert') {
          const at = pos % (m.length + 1);
          const rec = lists.insert(refs, 2 * owner, at);
          lists.ints[rec * lists.intStride + lists.intBase] = value;
          lists.ints[rec * lists.intStride + lists.intBase + 1] = -value;
          lists.floats[rec * lists.floatStride] = value / 3;
          m.splice(at, 0, [value, -value, value / 3]);
        } else if (op === 'truncate') {
          const n = pos % (m.length + 1);
          lists.truncate(refs, 2 * owner, n);
          m.length = n;
        } else {
          lists.clear(refs, 2 * owner);
          m.length = 0;
        }
      }
      model.forEach((m, owner) => {
        const start = lists.start(refs, 2 * owner);
        const got = Array.from({ length: lists.length(refs, 2 * owner) }, (_, i) => {
          const rec = start + i;
          return [lists.ints[rec * lists.intStride + lists.intBase]!, lists.ints[rec * lists.intStride + lists.intBase + 1]!, lists.floats[rec * lists.floatStride]!];
        });
        assert.deepEqual(got, m.map(([a, b, c]) => [a | 0, b | 0, c]));
      });
    }),
    { numRuns: 60 },
  );
});

test('bulk loads size the arrays once: KeyTable.reserve and BlockLists.reserve + appendBlock', () => {
  const table = new KeyTable(1);
  table.reserve(50_000);
  const slots = table.i;
  for (let k = 0; k < 50_000; k++) table.findOrInsert(`key-${k}`);
  assert.equal(table.i, slots, 'no growth while inserting what was reserved');
  assert.equal(table.size, 50_000);
  for (let k = 0; k < 50_000; k += 997) assert.ok(table.find(`key-${k}`) >= 0);

  const lists = new BlockLists(1, 1);
  const refs = new Int32Array(2 * 1000).fill(-1);
  for (let o = 0; o < 1000; o++) refs[2 * o + 1] = 0;
  lists.reserve(1000 * 8);
  const buffer = lists.floats;
  for (let o = 0; o < 1000; o++) {
    const n = (o % 7) + 1;
    const first = lists.appendBlock(refs, 2 * o, n);
    for (let j = 0; j < n; j++) lists.ints[(first + j) * lists.intStride + lists.intBase] = o * 10 + j;
  }
  assert.equal(lists.floats, buffer, 'no growth while appending what was reserved');
  for (let o = 0; o < 1000; o++) {
    const n = (o % 7) + 1;
    assert.equal(lists.length(refs, 2 * o), n);
    const at = lists.start(refs, 2 * o);
    assert.deepEqual(Array.from({ length: n }, (_, j) => lists.ints[(at + j) * lists.intStride + lists.intBase]), Array.from({ length: n }, (_, j) => o * 10 + j));
  }
  // a list made by appendBlock grows and shrinks like any other
  const at = lists.insert(refs, 0, 1);
  assert.equal(lists.length(refs, 0), 2);
  assert.equal(lists.ints[at * lists.intStride + lists.intBase], 0);
  lists.remove(refs, 0, 0);
  assert.equal(lists.length(refs, 0), 1);
  assert.throws(() => lists.appendBlock(refs, 0, 3), /has a list already/);
});
