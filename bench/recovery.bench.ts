/**
 * Crash recovery at scale: a real `iob start` process consumes a generated stream while an in-process
 * engine publishes it into IOB_EVENTS; the process is killed with SIGKILL at random stream positions and
 * restarted on the same data dir each time. After the last restart it catches up and is stopped with
 * SIGTERM (final snapshot); that state is compared, entity by entity and feature by feature, with an
 * uninterrupted consumer of the same stream (test/helpers/feature-parity.ts).
 *
 * `runCrashRecovery` is the scenario (test/e2e/crash-recovery.test.ts runs it small and asserts);
 * `benchRecovery` runs it at 1M events with 10 kills and reports lost / double-counted events and the
 * catch-up time after every restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateBehavior } from '../datasets/generate.ts';
import { Rng } from '../datasets/random.ts';
import { createLogger, loadConfig, readSnapshot, startEngine, startNatsServer, type Engine } from '../engine/index.ts';
import { readMetric, startEngineProcess, waitUntil, type RunningEngine } from '../test/helpers/cli-process.ts';
import { compareStores, type ParityReport } from '../test/helpers/feature-parity.ts';
import type { BenchReport } from './ingest.bench.ts';

export interface CrashRecoveryOptions {
  events: number;
  kills: number;
  seed?: number;
  /**
   * Events published per second (0: as fast as the publisher goes). A rate keeps the stream growing through
   * the kills, so they land while the engine consumes a live stream and restarts have a backlog to catch up.
   */
  publishRate?: number;
  /** IOB_SNAPSHOT_INTERVAL_MS of the killed process */
  snapshotIntervalMs?: number;
  /** bound on every wait (catch-up, start-up) */
  timeoutMs?: number;
  say?: (line: string) => void;
}

export interface RestartFigures {
  /** the killed process had applied at least this sequence (its last reading before the kill) */
  observedSeq: number;
  /** the stream's head when the process was restarted: what it had to catch up with */
  headAtRestart: number;
  /** the restarted process resumed after this sequence (its last snapshot; 0 without one) */
  restoredSeq: number;
  /** spawn → HTTP listening */
  startupMs: number;
  /** spawn → applied up to headAtRestart (headAtRestart − restoredSeq events read again or for the first time) */
  catchUpMs: number;
}

export interface CrashRecoveryResult {
  events: number;
  streamLastSeq: number;
  kills: number;
  restarts: RestartFigures[];
  /** the final restart: spawn → the whole stream applied */
  finalCatchUpMs: number;
  /** lastSeq of the snapshot written on SIGTERM */
  snapshotSeq: number;
  exitCode: number | null;
  /** events the stores applied (counters), killed-and-restarted vs uninterrupted */
  applied: { restarted: number; reference: number };
  parity: ParityReport;
  seconds: number;
}

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));
const API_KEY = 'recovery-admin-key-0123456789';
const PSEUDONYM_KEY = 'r'.repeat(32);

/** Generated events with unique ids, one batch at a time (1M events are never all in memory). */
function* eventBatches(events: number, seed: number, batch: number): Generator<Record<string, unknown>[]> {
  const end = Date.now() - 60_000;
  let out: Record<string, unknown>[] = [];
  let n = 0;
  for (const e of generateBehavior({ subjects: Math.ceil(events / 30), days: 14, seed, end })) {
    out.push({ ...e, id: `r-${n}` });
    if (++n === events || out.length === batch) {
      yield out;
      out = [];
    }
    if (n === events) return;
  }
  if (out.length) yield out;
}

const lastSequence = (engine: RunningEngine) => readMetric(engine.url, 'iob_consumer_last_sequence');

export async function runCrashRecovery(options: CrashRecoveryOptions): Promise<CrashRecoveryResult> {
  const { events, kills, seed = 11, publishRate = 0, snapshotIntervalMs = 1000, timeoutMs = 600_000 } = options;
  const say = options.say ?? (() => undefined);
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'iob-recovery-'));
  const server = await startNatsServer({ storeDir: join(root, 'nats') });
  const cleanup: (() => Promise<unknown> | unknown)[] = [() => server.stop()];
  try {
    // The publisher: the engine's own ingest (boundary, pipelined publisher), not consuming.
    const publisher = await startEngine({ config: loadConfig({}, { natsUrl: server.url, dataDir: join(root, 'publisher'), pseudonymKey: PSEUDONYM_KEY, logLevel: 'warn' }), log: quiet(), consume: false });
    cleanup.push(() => publisher.close());
    // Profiles and item aggregates need consent: every subject grants personalization and analytics from the epoch.
    const subjects = new Set<string>();
    for (const batch of eventBatches(events, seed, 10_000)) for (const e of batch) subjects.add(e.subject as string);
    say(`granting consent to ${subjects.size} subjects …`);
    const list = [...subjects];
    for (let i = 0; i < list.length; i += 200) {
      await Promise.all(list.slice(i, i + 200).map((s) => publisher.subjects.updateConsent(s, { purposes: { personalization: true, analytics: true }, source: 'bench', at: 0 }, 'bench')));
    }

    const env = {
      NATS_URL: server.url,
      IOB_DATA_DIR: join(root, 'engine'),
      IOB_PORT: '0',
      IOB_PSEUDONYM_KEY: PSEUDONYM_KEY,
      IOB_SNAPSHOT_INTERVAL_MS: String(snapshotIntervalMs),
      IOB_FORECAST_REFRESH: 'off',
      IOB_API_KEYS: JSON.stringify([{ id: 'admin', key: API_KEY, scopes: ['admin'] }]),
    };
    let lastSpawnAt = performance.now();
    let engine = await startEngineProcess([], env, timeoutMs);
    cleanup.push(() => engine.child.kill('SIGKILL'));

    say(`publishing ${events} events${publishRate > 0 ? ` at ${publishRate}/s` : ''} while the engine consumes …`);
    let published = 0;
    let streamLastSeq = 0;
    let publishError: unknown;
    const publishing = (async () => {
      const inFlight = new Set<Promise<void>>();
      const from = performance.now();
      let sent = 0;
      for (const batch of eventBatches(events, seed, publishRate > 0 ? Math.max(10, Math.min(1000, Math.round(publishRate / 10))) : 1000)) {
        if (publishRate > 0) {
          const due = from + (sent * 1000) / publishRate - performance.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        sent += batch.length;
        const p: Promise<void> = publisher.ingest(batch).then((report) => {
          if (report.accepted !== batch.length) throw new Error(`a batch was not fully accepted: ${report.accepted}/${batch.length}`);
          published += batch.length;
          streamLastSeq = Math.max(streamLastSeq, report.lastSeq);
          inFlight.delete(p);
        });
        inFlight.add(p);
        if (inFlight.size >= 4) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })().catch((err) => (publishError = err));

    // Kill points: sorted random stream positions between 5% and 95% of the stream.
    const rng = new Rng(seed, 0x6b11);
    const targets = Array.from({ length: kills }, () => Math.floor(events * (0.05 + 0.9 * rng.float()))).sort((a, b) => a - b);
    const restarts: RestartFigures[] = [];
    for (const target of targets) {
      let observedSeq = 0;
      await waitUntil(async () => (observedSeq = await lastSequence(engine)) >= target || publishError !== undefined, timeoutMs, `the engine to reach sequence ${target}`);
      if (publishError) throw publishError;
      engine.child.kill('SIGKILL');
      await engine.exited;
      const headAtRestart = streamLastSeq;
      const spawnedAt = (lastSpawnAt = performance.now());
      engine = await startEngineProcess([], env, timeoutMs);
      const startupMs = performance.now() - spawnedAt;
      const restoredSeq = Number(/"lastSeq":(\d+)[^\n]*feature store restored from snapshot/.exec(engine.output())?.[1] ?? 0);
      await waitUntil(async () => (await lastSequence(engine)) >= headAtRestart, timeoutMs, `the restarted engine to catch up to ${headAtRestart}`);
      const figures = { observedSeq, headAtRestart, restoredSeq, startupMs: Math.round(startupMs), catchUpMs: Math.round(performance.now() - spawnedAt) };
      restarts.push(figures);
      say(
        `  kill ${restarts.length}: applied ≥ ${observedSeq} when killed; restarted with the stream at ${headAtRestart}, resumed after ${restoredSeq} ` +
          `(${headAtRestart - restoredSeq} to apply), listening in ${figures.startupMs} ms, caught up in ${figures.catchUpMs} ms`,
      );
    }
    await publishing;
    if (publishError) throw publishError;
    if (published !== events) throw new Error(`published ${published} of ${events} events`);
    await waitUntil(async () => (await lastSequence(engine)) >= streamLastSeq, timeoutMs, `the engine to apply the whole stream (${streamLastSeq})`);
    const finalCatchUpMs = Math.round(performance.now() - lastSpawnAt);

    // SIGTERM: graceful shutdown writes the final snapshot; that is the state compared.
    engine.child.kill('SIGTERM');
    const exitCode = await engine.exited;
    const restored = await readSnapshot(join(env.IOB_DATA_DIR, 'snapshots', 'features.msgpack'));
    if (!restored) throw new Error('no snapshot after SIGTERM');

    say('the uninterrupted reference consumes the same stream …');
    const reference: Engine = await startEngine({
      config: loadConfig({}, { natsUrl: server.url, dataDir: join(root, 'reference'), pseudonymKey: PSEUDONYM_KEY, consumerName: 'reference', logLevel: 'warn' }),
      log: quiet(),
    });
    cleanup.push(() => reference.close());
    await reference.waitForSeq(streamLastSeq, timeoutMs);
    const parity = compareStores(restored, reference.features);
    return {
      events,
      streamLastSeq,
      kills: restarts.length,
      restarts,
      finalCatchUpMs,
      snapshotSeq: restored.lastSeq,
      exitCode,
      applied: { restarted: restored.stats().applied, reference: reference.features.stats().applied },
      parity,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    while (cleanup.length) await Promise.resolve(cleanup.pop()!()).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

export async function benchRecovery(options: CrashRecoveryOptions, say: (line: string) => void): Promise<BenchReport> {
  const r = await runCrashRecovery({ ...options, say });
  const catchUps = r.restarts.map((x) => x.catchUpMs);
  say(`parity: ${r.parity.compared.subject} subjects (${r.parity.profiles} profiles), ${r.parity.compared.session} sessions, ${r.parity.compared.item} items, ${r.parity.compared.category} categories compared; ${r.parity.mismatchCount} feature values differ`);
  for (const m of r.parity.mismatches) say(`  differs: ${m.entity} ${m.key} ${m.feature}: ${m.got} vs ${m.expected}`);
  say(`applied events: restarted ${r.applied.restarted}, uninterrupted ${r.applied.reference}; SIGTERM exit ${r.exitCode}, snapshot at ${r.snapshotSeq} of ${r.streamLastSeq}`);
  return {
    name: 'recovery',
    rows: [
      { label: 'events in the stream', value: r.streamLastSeq, unit: 'events' },
      { label: 'kills (SIGKILL) and restarts', value: r.kills, unit: '' },
      { label: 'events lost', value: r.parity.lost, unit: 'events' },
      { label: 'events double-counted', value: r.parity.doubleCounted, unit: 'events' },
      { label: 'feature values differing', value: r.parity.mismatchCount, unit: '' },
      { label: 'catch-up after a kill, median', value: median(catchUps), unit: 'ms' },
      { label: 'catch-up after a kill, max', value: Math.max(0, ...catchUps), unit: 'ms' },
      { label: 'final catch-up (last restart → end of stream)', value: r.finalCatchUpMs, unit: 'ms' },
      { label: 'whole run', value: r.seconds, unit: 's' },
    ],
    ratios: { lost: r.parity.lost, double_counted: r.parity.doubleCounted, mismatches: r.parity.mismatchCount, kills: r.kills, catch_up_median_ms: median(catchUps), catch_up_max_ms: Math.max(0, ...catchUps) },
  };
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
