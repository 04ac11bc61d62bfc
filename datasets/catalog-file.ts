/**
 * A catalog file: one item per row with `id,category,price`. CSV (`.csv`), JSON Lines (`.jsonl`,
 * `.ndjson`) or a JSON array (`.json`), gzipped when the name ends in `.gz`.
 */
import { IobError } from '../engine/index.ts';
import type { CatalogItem } from './catalog.ts';
import { csvField } from './io/csv.ts';
import { openTextSink } from './io/text-sink.ts';

type CatalogFormat = 'csv' | 'jsonl' | 'json';

function catalogFormatOf(path: string): CatalogFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (name.endsWith('.json')) return 'json';
  throw new IobError('IOB_ERR_VALIDATION', `${path}: unsupported catalog file name; use .csv, .jsonl, .ndjson or .json (optionally .gz)`, [
    { path: 'catalog', reason: 'unsupported_format', message: 'the file name must end in .csv, .jsonl, .ndjson or .json (optionally .gz)' },
  ]);
}

export async function writeCatalogFile(path: string, items: readonly CatalogItem[]): Promise<void> {
  const format = catalogFormatOf(path);
  const sink = openTextSink(path);
  try {
    if (format === 'csv') await sink.write('id,category,price\n');
    if (format === 'json') await sink.write('[\n');
    for (let i = 0; i < items.length; i++) {
      const { id, category, price } = items[i] as CatalogItem;
      if (format === 'csv') await sink.write(`${csvField(id)},${csvField(category)},${price}\n`);
      else {
        const separator = format === 'json' && i < items.length - 1 ? ',' : '';
        await sink.write(`${JSON.stringify({ id, category, price })}${separator}\n`);
      }
    }
    if (format === 'json') await sink.write(']\n');
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
