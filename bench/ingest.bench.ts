/**
 * Ingest throughput, measured side by side in one run on one nats-server:
 *   raw   — JetStream publish (async acks) + pull consume of the same msgpack payloads, no engine;
 *   http  — POST /v1/events batches → boundary → stream → engine consumer (until applied), posted by a
 *           load generator in its own process (bench/http-poster.ts), as the route benches' autocannon;
 *   nats  — requests on iob.ingest.bench → boundary worker → stream → engine consumer.
 * Ratios are engine paths over raw. Bodies are serialized before the clock starts so the load generator
 * measures the server, not JSON.stringify. `rounds=N` alternates the three paths N times with fresh ids and
 * reports each one's best (the first raw round before the engine starts, later ones beside it idle).
 */
import { Writable } from 'node:stream';
import { AckPolicy, connect, StorageType } from 'nats';
import { generateBehavior } from '../datasets/generate.ts';
import { createBoundary, createJetStreamPublisher, createLogger, createPseudonymizer, encodeEvent, loadConfig, startEngine, startNatsServer } from '../engine/index.ts';
import { buildApp } from '../serving/app.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSX_CHILD_FLAGS } from './tsx-child.ts';

export interface IngestBenchOptions {
  /** run only these phases (profiling) */
  only?: ('raw' | 'http' | 'nats')[];
  events: number;
  batch: number;
  concurrency: number;
  /** raw, HTTP and NATS runs in turn, this many times; each path's best round counts (default 1) */
  rounds?: number;
}

export interface BenchReport {
  name: string;
  rows: { label: string; value: number; unit: string }[];
  ratios: Record<string, number>;
}

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

function makeEvents(n: number): Record<string, unknown>[] {
  const end = Date.now() - 60_000;
  const out: Record<string, unknown>[] = [];
  for (const e of generateBehavior({ subjects: Math.ceil(n / 25), days: 14, seed: 7, end })) {
    out.push({ ...e, id: `b-${out.length}` });
    if (out.length === n) break;
  }
  return out;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * The HTTP load generator (bench/http-poster.ts) started in its own process with its batches loaded;
 * `go` starts the posting and resolves with the highest stream sequence the reports gave.
 */
async function startPoster(url: string, key: string, bodiesFile: string, concurrency: number) {
  const script = fileURLToPath(new URL('./http-poster.ts', import.meta.url));
  const child = spawn(process.execPath, [...TSX_CHILD_FLAGS, script, url, key, bodiesFile, String(concurrency)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`http poster exited ${code}: ${stderr.slice(-500)}`);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async () => {
    const next = await Promise.race([lines.next(), exited.then(() => ({ done: true, value: undefined }))]);
    if (next.done) throw new Error(`http poster ended early: ${stderr.slice(-500)}`);
    return next.value as string;
  };
  if ((await line()) !== 'ready') throw new Error('http poster did not start');
  return {
    go: async () => {
      child.stdin.end('go\n');
      const result = JSON.parse(await line()) as { lastSeq: number; events: number; cpuMs: number };
      await exited;
      return result;
    },
  };
}

export async function benchIngest(options: IngestBenchOptions, say: (line: string) => void): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-'));
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const run = (phase: 'raw' | 'http' | 'nats') => !options.only || options.only.includes(phase);
  const rounds = Math.max(1, options.rounds ?? 1);
  try {
    say(`generating ${options.events} events …`);
    const events = makeEvents(options.events);
    /** Each round sends the same events under fresh ids, so none of them is a duplicate of an earlier round's. */
    const withIds = (prefix: string) => events.map((e) => ({ ...e, id: `${prefix}-${e.id as string}` }));
    const inBatches = <T>(items: T[]) => {
      const out: T[][] = [];
      for (let i = 0; i < items.length; i += options.batch) out.push(items.slice(i, i + options.batch));
      return out;
    };
    const cross = createBoundary({ pseudonymize: createPseudonymizer('b'.repeat(32)), retentionMs: 1e12, maxFutureSkewMs: 1e9 });

    const nc = await connect({ servers: server.url });
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    const publisher = createJetStreamPublisher(nc);
    let jsPublish = NaN;

    // raw: the same stored-event payloads the engine writes, published and consumed without the engine.
    const rawRound = async (round: number) => {
      const prefix = `bench.raw${round}`;
      const payloads = withIds(`r${round}`).map((e) => {
        const o = cross(e);
        if (!o.ok) throw new Error('bench event rejected');
        return { subject: `${prefix}.${o.event.sid}`, data: encodeEvent(o.event), id: o.event.eid };
      });
      await jsm.streams.add({ name: `BENCH_RAW_${round}`, subjects: [`${prefix}.*`], storage: StorageType.File });
      await jsm.consumers.add(`BENCH_RAW_${round}`, { durable_name: 'raw', ack_policy: AckPolicy.All, max_ack_pending: 100_000 });
      const rawBatches = inBatches(payloads);
      const rawStart = performance.now();
      const consumer = await js.consumers.get(`BENCH_RAW_${round}`, 'raw');
      const msgs = await consumer.consume({ max_messages: 2000 });
      const consumed = (async () => {
        let n = 0;
        for await (const m of msgs) {
          if (++n % 1000 === 0 || n === payloads.length || msgs.getPending() === 0) m.ack();
          if (n === payloads.length) break;
        }
      })();
      await pool(rawBatches, options.concurrency, (b) => Promise.all(b.map((p) => publisher.publish(p.subject, p.data, { msgId: p.id }))));
      await consumed;
      const raw = payloads.length / ((performance.now() - rawStart) / 1000);
      say(`raw JetStream publish+consume (pipelined publisher): ${Math.round(raw)} events/s`);

      if (round === 0) {
        // For context: the client library's own js.publish, one request per message, publish only.
        const sample = rawBatches.slice(0, Math.max(1, Math.ceil(rawBatches.length / 5)));
        const jsStart = performance.now();
        await pool(sample, options.concurrency, (b) => Promise.all(b.map((p) => js.publish(p.subject, p.data, { msgID: `js-${p.id}` }))));
        jsPublish = sample.reduce((n, b) => n + b.length, 0) / ((performance.now() - jsStart) / 1000);
        say(`nats.js js.publish (publish only, for context): ${Math.round(jsPublish)} events/s`);
      }
      return raw;
    };

    // The first raw round runs before the engine starts, as in a process without one; later rounds share
    // the process with the (then idle) engine.
    const best = (a: number, b: number) => (Number.isNaN(a) ? b : Math.max(a, b));
    if (rounds > 1) say(`round 1 of ${rounds}`);
    let raw = run('raw') ? await rawRound(0) : NaN;
    let roundRaw = raw;

    // http and nats paths through a real engine.
    const config = loadConfig({}, { natsUrl: server.url, dataDir: join(dir, 'data'), pseudonymKey: 'b'.repeat(32), logLevel: 'warn', retentionDays: 3650 });
    const keys = [{ id: 'bench', key: 'bench-key-0123456789abcdef', scopes: ['ingest' as const] }];
    const engine = await startEngine({ config, log: quiet() });
    const app = await buildApp({ engine, apiKeys: keys, log: quiet(), maxBatch: 1000, bodyLimitBytes: config.bodyLimitBytes });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/events`;
    const nc2 = await connect({ servers: server.url });

    const httpRound = async (round: number) => {
      const bodiesFile = join(dir, `http-${round}.jsonl`);
      writeFileSync(bodiesFile, inBatches(withIds(`h${round}`)).map((b) => `${JSON.stringify({ events: b })}\n`).join(''));
      const poster = await startPoster(url, keys[0]!.key, bodiesFile, options.concurrency);
      const httpStart = performance.now();
      const { lastSeq, events: posted, cpuMs } = await poster.go();
      say(`  (load generator: ${((cpuMs * 1000) / posted).toFixed(1)} µs CPU per event)`);
      if (posted !== events.length) throw new Error(`http poster sent ${posted} of ${events.length} events`);
      await engine.waitForSeq(lastSeq, 300_000);
      const http = events.length / ((performance.now() - httpStart) / 1000);
      say(`HTTP batches → boundary → stream → consumer: ${Math.round(http)} events/s`);
      return http;
    };

    const natsRound = async (round: number) => {
      const enc = new TextEncoder();
      const dec = new TextDecoder();
      const bodies = inBatches(withIds(`n${round}`)).map((b) => ({ body: enc.encode(JSON.stringify({ events: b })), count: b.length }));
      const natsStart = performance.now();
      let natsLast = 0;
      await pool(bodies, options.concurrency, async ({ body, count }) => {
        const reply = await nc2.request('iob.ingest.bench', body, { timeout: 60_000 });
        const report = JSON.parse(dec.decode(reply.data)) as { accepted: number; lastSeq: number };
        if (report.accepted !== count) throw new Error('nats batch not fully accepted');
        if (report.lastSeq > natsLast) natsLast = report.lastSeq;
      });
      await engine.waitForSeq(natsLast, 300_000);
      const natsRate = events.length / ((performance.now() - natsStart) / 1000);
      say(`NATS iob.ingest.> → boundary → stream → consumer: ${Math.round(natsRate)} events/s`);
      return natsRate;
    };

    try {
      // Rounds alternate the three paths, so a neighbour's load on a shared machine falls on all of them;
      // each path's best round is reported (the raw baseline's best, too).
      // Each round's paths over that round's raw, too: measured minutes apart, they share the load of the moment.
      let http = NaN;
      let natsRate = NaN;
      const paired: { http: number[]; nats: number[] } = { http: [], nats: [] };
      for (let round = 0; round < rounds; round++) {
        if (round > 0) say(`round ${round + 1} of ${rounds}`);
        if (round > 0 && run('raw')) raw = best(raw, (roundRaw = await rawRound(round)));
        if (run('http')) {
          const rate = await httpRound(round);
          http = best(http, rate);
          paired.http.push(rate / roundRaw);
        }
        if (run('nats')) {
          const rate = await natsRound(round);
          natsRate = best(natsRate, rate);
          paired.nats.push(rate / roundRaw);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
      const pairedRatios: Record<string, number> =
        rounds > 1 ? { http_vs_raw_median_of_rounds: +median(paired.http).toFixed(3), nats_vs_raw_median_of_rounds: +median(paired.nats).toFixed(3) } : {};
      return {
        name: 'ingest',
        rows: [
          { label: 'raw JetStream publish+consume', value: Math.round(raw), unit: 'events/s' },
          { label: 'nats.js js.publish alone (context)', value: Math.round(jsPublish), unit: 'events/s' },
          { label: 'HTTP end to end', value: Math.round(http), unit: 'events/s' },
          { label: 'NATS end to end', value: Math.round(natsRate), unit: 'events/s' },
        ],
        ratios: { http_vs_raw: +(http / raw).toFixed(3), nats_vs_raw: +(natsRate / raw).toFixed(3), ...pairedRatios, http_events_per_s: Math.round(http) },
      };
    } finally {
      await nc2.drain();
      publisher.close();
      await nc.drain();
      await app.close();
      await engine.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
