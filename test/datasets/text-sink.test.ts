/**
 * The output files of the CLI (datasets/io/text-sink.ts): text and bytes land in the order written, gzipped
 * for a `.gz` name, and the file appears under its name only once closed; an aborted one leaves nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { openTextSink } from '../../datasets/io/text-sink.ts';
import { tempDir } from '../helpers/nats.ts';

const dir = tempDir({ after }, 'iob-text-sink-');

for (const name of ['mixed.bin', 'mixed.bin.gz']) {
  test(`${name}: text and bytes land in the order written, and big writes keep their order under backpressure`, async () => {
    const path = join(dir, name);
    const sink = openTextSink(path);
    const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
    await sink.write('head,');
    await sink.writeBytes(new Uint8Array([0, 1, 2, 255]));
    await sink.write('middle,');
    await sink.writeBytes(big);
    await sink.write('tail');
    assert.equal(existsSync(path), false, 'not under its name before close');
    await sink.close();
    const raw = readFileSync(path);
    const bytes = name.endsWith('.gz') ? gunzipSync(raw) : raw;
    const expected = Buffer.concat([Buffer.from('head,'), Buffer.from([0, 1, 2, 255]), Buffer.from('middle,'), Buffer.from(big), Buffer.from('tail')]);
    assert.equal(bytes.length, expected.length);
    assert.ok(bytes.equals(expected), 'same bytes, same order');
  });
}

test('an aborted sink leaves no file and no partial file behind', async () => {
  const sub = join(dir, 'aborted');
  const sink = openTextSink(join(sub, 'out.arrow'));
  await sink.write('text');
  await sink.writeBytes(new Uint8Array(1024));
  await sink.abort();
  assert.deepEqual(readdirSync(sub), []);
});
