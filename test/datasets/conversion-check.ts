import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createCanonicalWriter, readCanonicalEvents, type CanonicalEvent } from '../../datasets/canonical-file.ts';
import type { Conversion } from '../../datasets/convert/index.ts';

/**
 * Runs a conversion, writing the events to `<dir>/<name>.csv`, then reads that file back in strict mode:
 * every converted event must be valid canonical input. Returns the events in conversion order.
 */
export async function convertAndCheck(conversion: Conversion, dir: string, name: string): Promise<CanonicalEvent[]> {
  const path = join(dir, `${name}.csv`);
  const writer = createCanonicalWriter(path);
  const events: CanonicalEvent[] = [];
  for await (const event of conversion) {
    events.push(event);
    await writer.write(event);
  }
  await writer.close();
  let read = 0;
  for await (const record of readCanonicalEvents(path, { strict: true })) if ('event' in record) read++;
  assert.equal(read, events.length, 'every converted event reads back as a valid canonical event');
  return events;
}
