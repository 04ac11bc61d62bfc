/**
 * `iob ingest` — stream a canonical event file into a running engine, over HTTP (POST /v1/events) or
 * NATS (request on iob.ingest.cli). Batches go out a few at a time; a 503 batch is retried (ids dedupe);
 * file rows that fail to parse are reported with their line numbers and never sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { connect, type NatsConnection } from 'nats';
import { readCanonicalEvents } from '../datasets/index.ts';
import { IobError, type IngestReport, type Problem } from '../engine/index.ts';
import { wholeNumberFlag } from './flags.ts';
import { createProgress } from './progress.ts';

interface Sender {
  send(events: unknown[]): Promise<IngestReport>;
  close(): Promise<void>;
}

function httpSender(url: string, key: string): Sender {
  let endpoint: string;
  try {
    endpoint = new URL('/v1/events', url).href;
  } catch {
    throw new IobError('IOB_ERR_VALIDATION', `--url is not an http(s) address: expected e.g. http://127.0.0.1:8080`);
  }
  return {
    async send(events) {
      for (let attempt = 0; ; attempt++) {
        let res: Response;
        try {
          res = await fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ events }),
          });
        } catch (err) {
          // fetch says only "fetch failed"; the reason (refused, unknown host, bad scheme) is its cause
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          throw new IobError('IOB_ERR_UNAVAILABLE', `cannot reach the engine at ${url} (${cause?.code ?? cause?.message ?? (err as Error).message}): is \`iob start\` running there?`);
        }
        const body = (await res.json().catch(() => ({}))) as IngestReport & { code?: string; message?: string };
        if (res.status === 503 && attempt < 8) {
          await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
          continue;
        }
        if (!res.ok) throw new IobError('IOB_ERR_VALIDATION', `server answered ${res.status} ${body.code ?? ''}: ${body.message ?? ''}`);
        return body;
      }
    },
    async close() {},
  };
}

async function natsSender(servers: string): Promise<Sender> {
  const nc: NatsConnection = await connect({ servers: servers.split(','), name: 'iob-ingest' });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    async send(events) {
      const msg = await nc.request('iob.ingest.cli', enc.encode(JSON.stringify({ events })), { timeout: 30_000 });
      const body = JSON.parse(dec.decode(msg.data)) as IngestReport & { code?: string; message?: string };
      if (body.code) throw new IobError('IOB_ERR_VALIDATION', `${body.code}: ${body.message}`);
      return body;
    },
    close: () => nc.drain(),
  };
}

function defaultKey(dataDir: string): string | undefined {
  if (process.env.IOB_API_KEY) return process.env.IOB_API_KEY;
  try {
    const keys = JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8')) as { key: string }[];
    return keys[0]?.key;
  } catch {
    return undefined;
  }
}

export function register(program: Command) {
  program
    .command('ingest')
    .description('stream a canonical event file (CSV or JSONL, optionally .gz) into a running engine')
    .requiredOption('--events <file>', 'canonical event file')
    .option('--url <url>', 'engine HTTP address', 'http://127.0.0.1:8080')
    .option('--key <key>', 'API key with scope ingest (default: IOB_API_KEY, else the demo key in the data dir)')
    .option('--nats <servers>', 'publish through NATS (iob.ingest.>) instead of HTTP')
    .option('--data-dir <dir>', 'where to find the demo key', process.env.IOB_DATA_DIR ?? './.iob')
    .option('--batch <n>', 'events per batch', '500')
    .option('--concurrency <n>', 'batches in flight', '4')
    .option('--strict', 'stop at the first bad row')
    .action(async (opts) => {
      const problems: Problem[] = [];
      // a batch is one POST /v1/events, which takes at most 1,000 events
      const batchSize = wholeNumberFlag(problems, '--batch', opts.batch, 1, 1000);
      const concurrency = wholeNumberFlag(problems, '--concurrency', opts.concurrency, 1, 64);
      if (problems.length > 0) throw new IobError('IOB_ERR_VALIDATION', 'invalid options for iob ingest', problems);
      let sender: Sender;
      if (opts.nats) sender = await natsSender(opts.nats);
      else {
        const key = opts.key ?? defaultKey(opts.dataDir);
        if (!key) throw new IobError('IOB_ERR_UNAUTHORIZED', 'no API key: pass --key, set IOB_API_KEY, or run `iob start` first to create the demo key');
        sender = httpSender(opts.url, key);
      }

      const totals = { sent: 0, accepted: 0, duplicate: 0, rejected: 0, failed: 0, badRows: 0 };
      const examples: string[] = [];
      const note = (line: string) => examples.length < 10 && examples.push(line);
      const progress = createProgress('ingest', 'events');
      const inflight = new Set<Promise<void>>();
      let batch: { line: number; event: unknown }[] = [];
      // The first batch that could not be sent stops the run (the later ones would fail alike); kept here so
      // no batch's rejection goes unhandled while others are in flight.
      let failure: unknown;

      const dispatch = (rows: typeof batch) => {
        const task: Promise<void> = sender
          .send(rows.map((r) => r.event))
          .then((report) => {
            totals.accepted += report.accepted;
            totals.duplicate += report.duplicate;
            totals.rejected += report.rejected;
            totals.failed += report.failed;
            for (const r of report.results) {
              if (r.status === 'rejected' || r.status === 'failed') {
                note(`line ${rows[r.index]!.line}: ${r.status} — ${(r.problems ?? []).map((p) => `${p.path || '(event)'}: ${p.message}`).join('; ')}`);
              }
            }
            progress.increment(rows.length);
          })
          .catch((err: unknown) => void (failure ??= err))
          .finally(() => inflight.delete(task));
        inflight.add(task);
        totals.sent += rows.length;
      };

      try {
        for await (const row of readCanonicalEvents(opts.events)) {
          if (failure !== undefined) break;
          if ('error' in row) {
            totals.badRows++;
            note(`line ${row.line}: not sent — ${row.error.column}: ${row.error.message}`);
            if (opts.strict) throw new IobError('IOB_ERR_VALIDATION', `line ${row.line}, column ${row.error.column}: ${row.error.message}`);
            continue;
          }
          batch.push({ line: row.line, event: row.event });
          if (batch.length >= batchSize) {
            dispatch(batch);
            batch = [];
            if (inflight.size >= concurrency) await Promise.race(inflight);
          }
        }
        if (batch.length && failure === undefined) dispatch(batch);
        await Promise.all(inflight);
      } finally {
        progress.stop();
        await sender.close();
      }
      if (failure !== undefined) throw failure;

      process.stdout.write(
        `ingested ${totals.sent} events: ${totals.accepted} accepted, ${totals.duplicate} duplicate, ` +
          `${totals.rejected} rejected, ${totals.failed} failed; ${totals.badRows} unparsable rows not sent\n`,
      );
      for (const line of examples) process.stdout.write(`  ${line}\n`);
      if (totals.failed > 0) process.exitCode = 1;
    });
}
