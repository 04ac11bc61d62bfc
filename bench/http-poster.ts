/**
 * The ingest bench's HTTP load generator, run as a child process (`node --import tsx bench/http-poster.ts
 * <url> <key> <bodies file> <concurrency>`) so that it does not share the engine's thread, as a producer
 * does not in production and as autocannon does not in the route benches. It reads the pre-serialized
 * batches (one JSON body per line), prints `ready`, waits for a line on stdin, posts every batch with that
 * many requests in flight, checks each report accepted the whole batch, and prints
 * `{"lastSeq": …, "events": …}`.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';

const [url, key, file, concurrency] = process.argv.slice(2);
if (!url || !key || !file) throw new Error('usage: http-poster <url> <key> <bodies file> [concurrency]');
const bodies = readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
const counts = bodies.map((body) => (JSON.parse(body) as { events: unknown[] }).events.length);
const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };

process.stdout.write('ready\n');
await once(process.stdin, 'data');

let next = 0;
let lastSeq = 0;
let events = 0;
await Promise.all(
  Array.from({ length: Number(concurrency ?? 4) }, async () => {
    while (next < bodies.length) {
      const i = next++;
      const res = await fetch(url, { method: 'POST', body: bodies[i], headers });
      const report = (await res.json()) as { accepted: number; results: { seq?: number }[] };
      if (report.accepted !== counts[i]) throw new Error(`http batch not fully accepted (${res.status})`);
      for (const r of report.results) if (r.seq && r.seq > lastSeq) lastSeq = r.seq;
      events += counts[i]!;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ lastSeq, events })}\n`);
process.exit(0);
