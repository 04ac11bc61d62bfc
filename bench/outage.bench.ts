/**
 * Broker outage under load: a real `iob start` process on a nats-server that is stopped for a while and
 * started again (same port, same store) while a client keeps POSTing batches to /v1/events and probing
 * /readyz. Afterwards the stream is read back: every event the client was told was accepted must be in
 * it; every other event must have been told 503 (+ Retry-After) or a per-event `failed`. The engine must
 * reconnect and catch up without a restart (same process, consumer at the stream's last sequence).
 *
 * `runBrokerOutage` is the scenario (test/e2e/broker-outage.test.ts runs it with a ~3 s outage and
 * asserts); `benchOutage` runs it with 10 s and reports the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPseudonymizer, startNatsServer, type NatsServer } from '../engine/index.ts';
import { readMetric, startEngineProcess, waitUntil } from '../test/helpers/cli-process.ts';
import { storedEventIds } from '../test/helpers/stream-ids.ts';
import type { BenchReport } from './ingest.bench.ts';

export interface BrokerOutageOptions {
  outageMs: number;
  /** events per POST */
  batch?: number;
  /** POSTs started per second (open loop: a request hung on the outage does not hold the next one back) */
  postsPerSecond?: number;
  /** at most this many POSTs in flight */
  maxInFlight?: number;
  timeoutMs?: number;
  say?: (line: string) => void;
}

export interface BrokerOutageResult {
  outageMs: number;
  posts: number;
  /** events answered `accepted` or `duplicate` */
  acked: number;
  /** acked events not found in the stream afterwards */
  ackedMissing: number;
  /** 503 responses (each with Retry-After unless counted in missingRetryAfter) */
  responses503: number;
  missingRetryAfter: number;
  /** events told: a whole-batch 503, or a per-event `failed` */
  toldUnavailable: number;
  toldFailed: number;
  /** events with any other answer (2xx with a non-accepted event, other status, network error) */
  untold: number;
  /** /readyz probes while the broker was down: how many said not ready, how many said ready */
  readyzDown: { notReady: number; ready: number };
  /** broker back → /readyz true; broker back → first accepted batch */
  recoveryMs: { ready: number; accepted: number };
  /** the engine process was never restarted */
  samePid: boolean;
  /** the consumer reached the stream's last sequence after the outage */
  caughtUp: boolean;
  streamMessages: number;
}

const API_KEY = 'outage-admin-key-0123456789';
const PSEUDONYM_KEY = 'o'.repeat(32);

export async function runBrokerOutage(options: BrokerOutageOptions): Promise<BrokerOutageResult> {
  const { outageMs, batch = 50, postsPerSecond = 50, maxInFlight = 32, timeoutMs = 60_000 } = options;
  const say = options.say ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), 'iob-outage-'));
  const storeDir = join(root, 'nats');
  let server: NatsServer = await startNatsServer({ storeDir });
  const port = server.port;
  const engine = await startEngineProcess([], {
    NATS_URL: server.url,
    IOB_DATA_DIR: join(root, 'engine'),
    IOB_PORT: '0',
    IOB_PSEUDONYM_KEY: PSEUDONYM_KEY,
    IOB_FORECAST_REFRESH: 'off',
    IOB_RATE_LIMIT: '0',
    IOB_API_KEYS: JSON.stringify([{ id: 'admin', key: API_KEY, scopes: ['admin'] }]),
  }, timeoutMs);
  const pid = engine.child.pid;
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
    const acked: string[] = [];
    const r: Pick<BrokerOutageResult, 'posts' | 'responses503' | 'missingRetryAfter' | 'toldUnavailable' | 'toldFailed' | 'untold'> = {
      posts: 0, responses503: 0, missingRetryAfter: 0, toldUnavailable: 0, toldFailed: 0, untold: 0,
    };
    let next = 0;
    let posting = true;
    let brokerDown = false;
    let brokerBackAt = 0;
    let firstAcceptedAfter = 0;
    const post = async () => {
      const ids = Array.from({ length: batch }, () => `o-${next++}`);
      const events = ids.map((id, i) => ({ id, ts: Date.now() - 1000, subject: `s-${(next + i) % 300}`, type: 'view', item: `i-${i % 40}` }));
      r.posts++;
      let res: Response;
      try {
        res = await fetch(`${engine.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
      } catch {
        r.untold += ids.length;
        return;
      }
      const body = (await res.json().catch(() => undefined)) as { code?: string; results?: { status: string }[] } | undefined;
      if (res.status === 503) {
        r.responses503++;
        if (!res.headers.get('retry-after')) r.missingRetryAfter++;
      }
      if ((res.status === 200 || res.status === 503) && body?.results?.length === ids.length) {
        body.results.forEach((result, i) => {
          if (result.status === 'accepted' || result.status === 'duplicate') acked.push(ids[i]!);
          else if (result.status === 'failed' && res.status === 503) r.toldFailed++;
          else r.untold++;
        });
        if (res.status === 200 && brokerBackAt && !firstAcceptedAfter) firstAcceptedAfter = performance.now();
      } else if (res.status === 503 && body?.code === 'IOB_ERR_UNAVAILABLE') {
        r.toldUnavailable += ids.length;
      } else {
        r.untold += ids.length;
      }
    };
    const loader = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (posting) {
        if (inFlight.size < maxInFlight) {
          const p: Promise<void> = post().finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await new Promise((res) => setTimeout(res, 1000 / postsPerSecond));
      }
      await Promise.all(inFlight);
    })();
    const readyzDown = { notReady: 0, ready: 0 };
    let lastReady = true;
    const prober = (async () => {
      while (posting) {
        const ok = await fetch(`${engine.url}/readyz`).then((res) => res.status === 200, () => false);
        lastReady = ok;
        if (brokerDown) readyzDown[ok ? 'ready' : 'notReady']++;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();

    await new Promise((res) => setTimeout(res, 1000));
    say(`stopping nats-server for ${outageMs / 1000} s while a client posts ${postsPerSecond} batches of ${batch} per second …`);
    await server.stop();
    brokerDown = true;
    await new Promise((res) => setTimeout(res, outageMs));
    brokerDown = false;
    server = await startNatsServer({ storeDir, port });
    brokerBackAt = performance.now();
    lastReady = false; // the next probe decides
    say('nats-server is back');
    await waitUntil(() => lastReady, timeoutMs, '/readyz to turn true after the outage');
    const readyMs = performance.now() - brokerBackAt;
    await waitUntil(() => firstAcceptedAfter > 0, timeoutMs, 'a batch to be accepted after the outage');
    await new Promise((res) => setTimeout(res, 1000));
    posting = false;
    await Promise.all([loader, prober]);

    // The consumer catches up in place; then the stream is read back (event ids are stored as keyed hashes).
    const jsLast = (await storedEventIds(server.url)).last;
    const caughtUp = await waitUntil(async () => (await readMetric(engine.url, 'iob_consumer_last_sequence')) >= jsLast, timeoutMs, `the engine consumer to reach ${jsLast}`).then(
      () => true,
      () => false,
    );
    const { eids: inStream, messages: streamMessages } = await storedEventIds(server.url);
    const pseudonymize = createPseudonymizer(PSEUDONYM_KEY);
    const ackedMissing = acked.filter((id) => !inStream.has(pseudonymize('event', id))).length;
    return {
      outageMs,
      ...r,
      acked: acked.length,
      ackedMissing,
      readyzDown,
      recoveryMs: { ready: Math.round(readyMs), accepted: Math.round(firstAcceptedAfter - brokerBackAt) },
      samePid: engine.child.exitCode === null && engine.child.pid === pid,
      caughtUp,
      streamMessages,
    };
  } finally {
    engine.child.kill('SIGKILL');
    await engine.exited;
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchOutage(options: BrokerOutageOptions, say: (line: string) => void): Promise<BenchReport> {
  const r = await runBrokerOutage({ ...options, say });
  say(`posts ${r.posts}; acked ${r.acked}, in the stream ${r.streamMessages}; /readyz during the outage: ${r.readyzDown.notReady} not ready, ${r.readyzDown.ready} ready (before the engine noticed)`);
  say(`same process throughout: ${r.samePid}; consumer caught up: ${r.caughtUp}`);
  return {
    name: 'outage',
    rows: [
      { label: 'broker stopped for', value: r.outageMs / 1000, unit: 's' },
      { label: 'acknowledged events', value: r.acked, unit: 'events' },
      { label: 'acknowledged events missing from the stream', value: r.ackedMissing, unit: 'events' },
      { label: '503 responses (all with Retry-After)', value: r.responses503, unit: r.missingRetryAfter ? `(${r.missingRetryAfter} without)` : '' },
      { label: 'events told 503 (whole batch)', value: r.toldUnavailable, unit: 'events' },
      { label: 'events told failed (per event)', value: r.toldFailed, unit: 'events' },
      { label: 'events with no such answer', value: r.untold, unit: 'events' },
      { label: 'broker back → /readyz true', value: r.recoveryMs.ready, unit: 'ms' },
      { label: 'broker back → first accepted batch', value: r.recoveryMs.accepted, unit: 'ms' },
    ],
    ratios: {
      acked_missing: r.ackedMissing,
      untold: r.untold,
      responses_503: r.responses503,
      recovery_ready_ms: r.recoveryMs.ready,
      recovery_accepted_ms: r.recoveryMs.accepted,
      caught_up_without_restart: r.caughtUp && r.samePid ? 1 : 0,
    },
  };
}
