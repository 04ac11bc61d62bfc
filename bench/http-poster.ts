/**
 * The ingest bench's HTTP load generator, run as a child process (`node --import tsx bench/http-poster.ts
 * <url> <key> <bodies file> <concurrency>`) so that it does not share the engine's thread, as a producer
 * does not in production and as autocannon does not in the route benches. It reads the pre-serialized
 * batches (one JSON body per line), prints `ready`, waits for a line on stdin, posts every batch with that
 * many requests in flight over kept-alive connections, checks each report accepted the whole batch, and
 * prints `{"lastSeq": …, "events": …, "cpuMs": …}` (its own CPU time while posting). node:http rather
 * than fetch: undici's fetch cost the generator ~4 µs of CPU per event, on the machine the server shares.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';

const [url, key, file, concurrency] = process.argv.slice(2);
if (!url || !key || !file) throw new Error('usage: http-poster <url> <key> <bodies file> [concurrency]');
const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
const bodies = lines.map((line) => Buffer.from(line, 'utf8'));
const counts = lines.map((line) => (JSON.parse(line) as { events: unknown[] }).events.length);
const inFlight = Number(concurrency ?? 4);
const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
const target = new URL(url);

function post(body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

process.stdout.write('ready\n');
await once(process.stdin, 'data');
const cpuAtStart = process.cpuUsage();

let next = 0;
let lastSeq = 0;
let events = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < bodies.length) {
      const i = next++;
      const { status, text } = await post(bodies[i]!);
      const report = JSON.parse(text) as { accepted: number; lastSeq: number };
      if (report.accepted !== counts[i]) throw new Error(`http batch not fully accepted (${status})`);
      if (report.lastSeq > lastSeq) lastSeq = report.lastSeq;
      events += counts[i]!;
    }
  }),
);
const cpu = process.cpuUsage(cpuAtStart);
process.stdout.write(`${JSON.stringify({ lastSeq, events, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
process.exit(0);
