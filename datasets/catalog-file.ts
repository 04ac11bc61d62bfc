/**
 * A catalog file: one item per row with `id,category,price`. CSV (`.csv`) or JSON Lines (`.jsonl`,
 * `.ndjson`), gzipped when the name ends in `.gz`: the formats `iob catalog load` reads.
 */
import type { CatalogItem } from './catalog.ts';
import { catalogFormatOf } from './catalog-load.ts';
import { csvField } from './io/csv.ts';
import { openTextSink } from './io/text-sink.ts';

export async function writeCatalogFile(path: string, items: readonly CatalogItem[]): Promise<void> {
  const format = catalogFormatOf(path, 'catalog');
  const sink = openTextSink(path);
  try {
    if (format === 'csv') await sink.write('id,category,price\n');
    for (let i = 0; i < items.length; i++) {
      const { id, category, price } = items[i] as CatalogItem;
      if (format === 'csv') await sink.write(`${csvField(id)},${csvField(category)},${price}\n`);
      else await sink.write(`${JSON.stringify({ id, category, price })}\n`);
    }
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
