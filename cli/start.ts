/**
 * `iob start` — the main job: engine (embedded nats-server unless NATS_URL), HTTP API, and with --demo a
 * generated behavior log pushed through the ingest boundary. SIGINT/SIGTERM shut down in order: stop
 * accepting HTTP, finish in-flight requests, let the consumer apply the rest of the stream, write the final
 * snapshot, drain NATS, stop the embedded broker, exit 0 (test/e2e/graceful-shutdown.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createCanonicalWriter } from '../datasets/canonical-file.ts';
import { generateBehavior } from '../datasets/index.ts';
import { createLogger, ensureDemoApiKey, EVENTS_STREAM, loadConfig, startEngine, type Engine, type Logger } from '../engine/index.ts';
import { servingVersion } from '../models/registry.ts';
import { buildApp } from '../serving/app.ts';
import { scheduleForecastRefresh } from '../training/forecast/refresh.ts';
import { configFlags, flagOverrides } from './flags.ts';

export function register(program: Command) {
  configFlags(
    program
      .command('start')
      .description('run the engine and the HTTP API (embedded nats-server unless NATS_URL is set)')
      .option('--demo', 'generate a demo behavior log and ingest it after start')
      .option('--demo-subjects <n>', 'subjects in the demo log', '2000')
      .option('--demo-days <n>', 'days of demo history', '14')
      .option('--registry <dir>', 'model registry POST /v1/intent serves from (default: <data dir>/models)'),
  ).action(async (opts) => {
    const config = loadConfig(process.env, flagOverrides(opts));
    const log = createLogger(config.logLevel);
    const demoKey = config.apiKeys ? undefined : ensureDemoApiKey(config.dataDir);
    const apiKeys = config.apiKeys ?? [demoKey!.key];

    const engine = await startEngine({ config, log });
    const registry = resolve(opts.registry ?? join(config.dataDir, 'models'));
    const app = await buildApp({ engine, apiKeys, log, maxBatch: config.maxBatch, bodyLimitBytes: config.bodyLimitBytes, registry, rateLimitPerSecond: config.rateLimit });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;

    // Forecast refresh from the engine's own demand history: daily at IOB_FORECAST_REFRESH (UTC), and once
    // now when nothing is published yet and a forecast model serves.
    const stopForecasts =
      config.forecastRefresh === 'off'
        ? () => undefined
        : scheduleForecastRefresh({ at: config.forecastRefresh, registryDir: join(config.dataDir, 'models'), demand: engine.features, store: engine.forecasts, log: log.child({ component: 'forecast-refresh' }), leader: () => !engine.partitioned || engine.partitioned.owned().includes(0) });

    let stopping = false;
    let trainer: ChildProcess | undefined;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      trainer?.kill();
      stopForecasts();
      await app.close();
      await drainConsumer(engine, log);
      await engine.close();
      log.info('stopped');
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));

    const lines = [
      '',
      `IoB engine listening on ${url}`,
      `  API docs:   ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
      `  metrics:    ${url}/metrics`,
      `  NATS:       ${config.natsUrl ? 'external (NATS_URL)' : engine.natsUrl + ' (embedded)'}`,
      `  data dir:   ${config.dataDir}`,
      `  models:     ${registry}   (POST /v1/intent serves the promoted intent version; iob models list)`,
      `  forecasts:  ${url}/dashboard   (refresh ${config.forecastRefresh === 'off' ? 'off' : `daily at ${config.forecastRefresh} UTC`}; now: iob forecast refresh --nats ${config.natsUrl ? '$NATS_URL' : engine.natsUrl})`,
    ];
    if (demoKey) lines.push(`  demo key:   ${demoKey.key.key}   (scopes: ${demoKey.key.scopes.join(', ')}; stored in ${demoKey.path})`);
    lines.push(`  try:        curl -s ${url}/readyz`, '');
    process.stdout.write(lines.join('\n') + '\n');

    // Demo data is generated relative to now, so loading it again later would add a second history.
    const marker = join(config.dataDir, 'demo-loaded');
    if (opts.demo && !existsSync(marker)) {
      await loadDemo(engine, Number(opts.demoSubjects), Number(opts.demoDays), (msg) => process.stdout.write(msg + '\n'));
      writeFileSync(marker, new Date().toISOString() + '\n', { mode: 0o600 });
    }
    // The demo's intent model: trained on the demo log in a background process (TF.js never runs in this
    // one), promoted when done; serving swaps to it without a restart. Until then POST /v1/intent is a 503.
    if (opts.demo && (await servingVersion(registry, 'intent')) === undefined) {
      const say = (msg: string) => process.stdout.write(msg + '\n');
      trainer = await trainDemoIntent(config.dataDir, registry, engine.natsUrl, Number(opts.demoSubjects), Number(opts.demoDays), say);
    }
  });
}

/**
 * Shutdown's drain: once HTTP has stopped, wait (bounded) until the engine state reflects the stream's last
 * sequence, so the final snapshot covers every accepted event. Without the broker there is nothing to wait
 * for; what is not applied is replayed from the stream on the next start.
 */
async function drainConsumer(engine: Engine, log: Logger, timeoutMs = 30_000): Promise<void> {
  if (!engine.isReady()) return;
  try {
    const last = (await engine.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    await engine.waitForSeq(last, timeoutMs);
    log.info({ lastSeq: last }, 'consumer drained');
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'consumer did not drain; the next start replays the rest from the stream');
  }
}

/** Pushes a generated log through the same boundary HTTP uses, in batches. */
async function loadDemo(engine: Engine, subjects: number, days: number, say: (msg: string) => void) {
  say(`loading demo data: ${subjects} subjects × ${days} days …`);
  const started = Date.now();
  // A realistic consent mix: four in five demo shoppers allow personalization and analytics; the rest
  // stay at the default (deny), so the demo shows both personalized and non-personalized answers.
  let granted = 0;
  const seen = new Set<string>();
  for (const event of generateBehavior({ subjects, days, seed: 1 })) {
    if (seen.has(event.subject)) continue;
    seen.add(event.subject);
    if (seen.size % 5 === 0) continue;
    await engine.subjects.updateConsent(event.subject, { purposes: { personalization: true, analytics: true }, source: 'demo', notice: 'demo-1', at: 0 }, 'demo');
    granted++;
  }
  say(`demo consent: ${granted} of ${seen.size} subjects granted personalization and analytics`);
  let batch: unknown[] = [];
  let accepted = 0, duplicate = 0, rejected = 0, lastSeq = 0;
  const flush = async () => {
    const report = await engine.ingest(batch);
    accepted += report.accepted;
    duplicate += report.duplicate;
    rejected += report.rejected;
    lastSeq = Math.max(lastSeq, report.lastSeq);
    batch = [];
  };
  for (const event of generateBehavior({ subjects, days, seed: 1 })) {
    batch.push(event);
    if (batch.length === 1000) await flush();
  }
  if (batch.length) await flush();
  if (lastSeq) await engine.waitForSeq(lastSeq, 120_000).catch(() => undefined);
  say(`demo data: ${accepted} accepted, ${duplicate} duplicate (already loaded), ${rejected} rejected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const IOB_BIN = fileURLToPath(new URL('../bin/iob.mjs', import.meta.url));

/**
 * `iob train intent --events <demo log> --promote` in a low-priority child process; reports when it ends.
 * The demo log (raw, if synthetic, ids) is written to a temp folder and removed afterwards, not kept in the
 * data dir. The trainer gets the engine's NATS URL so it consults the consent registry and the erasure list.
 */
async function trainDemoIntent(dataDir: string, registry: string, natsUrl: string, subjects: number, days: number, say: (msg: string) => void): Promise<ChildProcess> {
  const temp = mkdtempSync(join(tmpdir(), 'iob-demo-train-'));
  const events = join(temp, 'demo-events.csv');
  const writer = createCanonicalWriter(events);
  for (const event of generateBehavior({ subjects, days, seed: 1 })) await writer.write(event);
  await writer.close();
  const logPath = join(dataDir, 'demo-train-intent.log');
  const out = openSync(logPath, 'a', 0o600);
  const args = ['train', 'intent', '--events', events, '--registry', registry, '--data-dir', dataDir, '--nats-url', natsUrl, '--promote', '--epochs', '8'];
  const child = spawn(process.execPath, [IOB_BIN, ...args], { stdio: ['ignore', out, out] });
  if (child.pid) setPriority(child.pid, 10);
  say(`training the demo intent model in the background (log: ${logPath}); POST /v1/intent answers 503 IOB_ERR_MODEL_UNAVAILABLE until it is promoted`);
  child.once('exit', (code, signal) => {
    rmSync(temp, { recursive: true, force: true });
    if (code === 0) say('demo intent model trained and promoted: POST /v1/intent now scores (iob models list shows it)');
    else if (!signal) say(`demo intent training failed (exit ${code}); see ${logPath}`);
  });
  return child;
}
