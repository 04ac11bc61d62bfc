/**
 * Throughput of the canonical event file reader, the first stage of every training-set build (target:
 * ≥ 1M events/s end to end, so the reader must be well above that on CSV).
 *
 *   node --import tsx bench/canonical-reader.ts [rows=1000000] [runs=5]
 *
 * Writes a generated log of `rows` events as CSV, CSV.gz and JSONL into a temporary folder, reads each
 * `runs` times per API and prints the best and median rows/s. Every read runs in a fresh process (as a
 * training-set build starts): measured in the process that just generated the log, the leftover heap
 * halved the numbers. The machine may be shared: the best run is the one least disturbed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanonicalWriter, readCanonicalBatches, readCanonicalEvents } from '../datasets/canonical-file.ts';
import { generateBehavior } from '../datasets/generate.ts';
import { TSX_CHILD_FLAGS } from './tsx-child.ts';

type Api = 'events' | 'batches';

async function writeLog(path: string, rows: number): Promise<number> {
  const writer = createCanonicalWriter(path);
  let written = 0;
  // A subject makes about 2.3 events a day: size the population so the log has at least `rows` events.
  for (const event of generateBehavior({ subjects: Math.ceil(rows / 60), days: 30, seed: 1, end: Date.UTC(2024, 5, 1) })) {
    await writer.write(event);
    if (++written === rows) break;
  }
  await writer.close();
  return written;
}

async function countEvents(path: string, api: Api): Promise<number> {
  let events = 0;
  if (api === 'events') {
    for await (const record of readCanonicalEvents(path)) if ('event' in record) events++;
  } else {
    for await (const batch of readCanonicalBatches(path)) for (const record of batch) if ('event' in record) events++;
  }
  return events;
}

/** One timed read in a child process: returns events read and rows/s. */
function timedRead(path: string, api: Api): { events: number; rate: number } {
  const child = spawnSync(process.execPath, [...TSX_CHILD_FLAGS, fileURLToPath(import.meta.url), '--read', path, api], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`read failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { events: number; rate: number };
}

async function main(rows: number, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-reader-'));
  try {
    for (const suffix of ['.csv', '.csv.gz', '.jsonl']) {
      const path = join(dir, `log${suffix}`);
      const written = await writeLog(path, rows);
      const megabytes = statSync(path).size / 1e6;
      for (const api of ['events', 'batches'] as const) {
        const rates: number[] = [];
        for (let run = 0; run < runs; run++) {
          const { events, rate } = timedRead(path, api);
          if (events !== written) throw new Error(`read ${events} events, wrote ${written}`);
          rates.push(rate);
        }
        rates.sort((a, b) => b - a);
        const best = rates[0] as number;
        const median = rates[Math.floor(rates.length / 2)] as number;
        console.log(
          `${suffix.padEnd(8)} ${api.padEnd(8)} ${written.toLocaleString('en-US')} rows, ${megabytes.toFixed(0)} MB: ` +
            `best ${Math.round(best).toLocaleString('en-US')} rows/s, median ${Math.round(median).toLocaleString('en-US')} rows/s`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--read') {
  const [path, api] = process.argv.slice(3) as [string, Api];
  const started = performance.now();
  const events = await countEvents(path, api);
  process.stdout.write(JSON.stringify({ events, rate: events / ((performance.now() - started) / 1000) }));
} else {
  await main(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 5));
}
