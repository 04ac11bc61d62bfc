/**
 * An offers version on disk, beside its model-card.json:
 *
 *   items.json    the item ids, in table order (JSON array of strings)
 *   tables.json   the manifest of tables.bin: per table its name, dtype, shape, byte offset
 *   tables.bin    the tables, little-endian, each 4-byte aligned: vectors (float32 items × dim), popularity
 *                 (float32 per item), and the neighbour and co-occurrence rows, each as compressed rows
 *                 (uint32 offsets, uint32 columns, float32 weights), and the bought-together rows when the
 *                 model has them (versions without them load with none)
 *
 * Loading reads the arrays as views of one buffer (no per-item objects), checks every shape against the
 * card and the manifest, and refuses a folder that disagrees with itself, naming what.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_CARD_FILE } from '../model-card.ts';
import { loadServingVersion } from '../registry.ts';
import { parseOffersCard, type OffersModelCard } from './card.ts';
import { checkTables, type OfferTables } from './tables.ts';

export const ITEMS_FILE = 'items.json';
export const TABLES_JSON = 'tables.json';
export const TABLES_BIN = 'tables.bin';

type DType = 'float32' | 'int32' | 'uint32';
interface TableEntry {
  name: string;
  dtype: DType;
  length: number;
  offset: number;
}

const CTOR = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array } as const;

function entriesOf(t: OfferTables): Array<[string, DType, Float32Array | Int32Array | Uint32Array]> {
  return [
    ['vectors', 'float32', t.vectors],
    ['popularity', 'float32', t.popularity],
    ['neighbors.offsets', 'uint32', t.neighbors.offsets],
    ['neighbors.columns', 'uint32', t.neighbors.columns],
    ['neighbors.weights', 'float32', t.neighbors.weights],
    ['cooc.offsets', 'uint32', t.cooc.offsets],
    ['cooc.columns', 'uint32', t.cooc.columns],
    ['cooc.weights', 'float32', t.cooc.weights],
    ...(t.bought
      ? ([
          ['bought.offsets', 'uint32', t.bought.offsets],
          ['bought.columns', 'uint32', t.bought.columns],
          ['bought.weights', 'float32', t.bought.weights],
        ] satisfies Array<[string, DType, Uint32Array | Float32Array]>)
      : []),
  ];
}

/** The typed arrays by name (for the version's content tag). */
export function namedTables(t: OfferTables): Map<string, ArrayBufferView> {
  return new Map(entriesOf(t).map(([name, , values]) => [name, values]));
}

export async function saveOffersModel(dir: string, tables: OfferTables, card: OffersModelCard): Promise<void> {
  checkTables(tables);
  const entries: TableEntry[] = [];
  let offset = 0;
  for (const [name, dtype, values] of entriesOf(tables)) {
    entries.push({ name, dtype, length: values.length, offset });
    offset += values.byteLength;
  }
  const bin = new Uint8Array(offset);
  entriesOf(tables).forEach(([, , values], i) => bin.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), entries[i]!.offset));
  await writeFile(join(dir, TABLES_BIN), bin);
  await writeFile(join(dir, TABLES_JSON), `${JSON.stringify({ littleEndian: true, dim: tables.dim, neighborCount: tables.neighborCount, tables: entries }, null, 2)}\n`);
  await writeFile(join(dir, ITEMS_FILE), JSON.stringify(tables.items));
  await writeFile(join(dir, MODEL_CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
}

export interface LoadedOffersModel {
  card: OffersModelCard;
  tables: OfferTables;
}

export async function loadOffersModel(dir: string): Promise<LoadedOffersModel> {
  const card = parseOffersCard(JSON.parse(await readFile(join(dir, MODEL_CARD_FILE), 'utf8')));
  const items = JSON.parse(await readFile(join(dir, ITEMS_FILE), 'utf8')) as unknown;
  if (!Array.isArray(items) || items.some((i) => typeof i !== 'string')) throw new RangeError(`${ITEMS_FILE} must be a JSON array of item ids`);
  const manifest = JSON.parse(await readFile(join(dir, TABLES_JSON), 'utf8')) as { littleEndian?: boolean; tables?: TableEntry[] };
  if (manifest.littleEndian !== true || !Array.isArray(manifest.tables)) throw new RangeError(`${TABLES_JSON} is malformed`);
  const file = await readFile(join(dir, TABLES_BIN));
  // One aligned copy; every table is a view into it.
  const buffer = new ArrayBuffer(file.byteLength);
  new Uint8Array(buffer).set(file);
  const arrays = new Map<string, Float32Array | Int32Array | Uint32Array>();
  for (const e of manifest.tables) {
    const Ctor = CTOR[e.dtype];
    if (Ctor === undefined || e.offset % 4 !== 0 || e.offset + e.length * 4 > buffer.byteLength) throw new RangeError(`${TABLES_JSON}: table ${e.name} does not fit ${TABLES_BIN}`);
    arrays.set(e.name, new Ctor(buffer, e.offset, e.length));
  }
  const get = <T>(name: string, Ctor: new (...a: never[]) => T): T => {
    const a = arrays.get(name);
    if (!(a instanceof Ctor)) throw new RangeError(`${TABLES_JSON}: table ${name} is missing or has the wrong type`);
    return a;
  };
  const tables: OfferTables = {
    items: items as string[],
    dim: card.tables.dim,
    vectors: get('vectors', Float32Array),
    neighborCount: card.tables.neighborCount,
    neighbors: { offsets: get('neighbors.offsets', Uint32Array), columns: get('neighbors.columns', Uint32Array), weights: get('neighbors.weights', Float32Array) },
    popularity: get('popularity', Float32Array),
    cooc: { offsets: get('cooc.offsets', Uint32Array), columns: get('cooc.columns', Uint32Array), weights: get('cooc.weights', Float32Array) },
    ...(arrays.has('bought.offsets') ? { bought: { offsets: get('bought.offsets', Uint32Array), columns: get('bought.columns', Uint32Array), weights: get('bought.weights', Float32Array) } } : {}),
  };
  if (tables.items.length !== card.tables.items) throw new RangeError(`${ITEMS_FILE} lists ${tables.items.length} items, the card ${card.tables.items}`);
  checkTables(tables);
  return { card, tables };
}

/** The serving offers version of a registry, loaded (see `loadServingVersion`). */
export function loadServingOffersModel(registryRoot: string): Promise<LoadedOffersModel | undefined> {
  return loadServingVersion(registryRoot, 'offers', loadOffersModel);
}
