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
import { createLogger, ensureDemoApiKey, EVENTS_STREAM, IobError, loadConfig, startEngine, type Engine, type Logger, type Problem } from '../engine/index.ts';
import { servingVersion } from '../models/registry.ts';
import { buildApp } from '../serving/app.ts';
import { scheduleForecastRefresh } from '../training/forecast/refresh.ts';
import { configFlags, flagOverrides, wholeNumberFlag } from './flags.ts';

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
    // Checked before anything starts: a bad demo size used to surface only after the engine was up.
    const problems: Problem[] = [];
    wholeNumberFlag(problems, '--demo-subjects', opts.demoSubjects, 1, 1_000_000);
    wholeNumberFlag(problems, '--demo-days', opts.demoDays, 1, 3660);
    if (problems.length > 0) throw new IobError('IOB_ERR_VALIDATION', 'invalid options for iob start', problems);
    const config = loadConfig(process.env, flagOverrides(opts));
    const log = createLogger(config.logLevel);
    const demoKey = config.apiKeys ? undefined : ensureDemoApiKey(config.dataDir);
    const apiKeys = config.apiKeys ?? [demoKey!.key];

    const engine = await startEngine({ config, log });
    const registry = resolve(opts.registry ?? join(config.dataDir, 'models'));
    const app = await buildApp({ engine, apiKeys, log, maxBatch: config.maxBatch, bodyLimitBytes: config.bodyLimitBytes, registry, rateLimitPerSecond: config.rateLimit, scoreBatch: config.scoreBatch });
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
    let trainer: { kill(): void } | undefined;
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
    // The demo's models: trained on the demo log in background processes, one after the other (TF.js never
    // runs in this one), each promoted when done; serving swaps to it without a restart. Until then its
    // route answers 503 with its code.
    if (opts.demo) {
      const missing: DemoTask[] = [];
      for (const task of ['intent', 'offers'] as const) if ((await servingVersion(registry, task)) === undefined) missing.push(task);
      if (missing.length) {
        const say = (msg: string) => process.stdout.write(msg + '\n');
        trainer = await trainDemoModels(missing, { dataDir: config.dataDir, registry, natsUrl: engine.natsUrl, subjects: Number(opts.demoSubjects), days: Number(opts.demoDays) }, say);
      }
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

/** One demo shopper in five keeps the default (no consent): the sum of the id's character codes is a multiple of 5. */
export function demoDeniesConsent(subject: string): boolean {
  let sum = 0;
  for (let i = 0; i < subject.length; i++) sum += subject.charCodeAt(i);
  return sum % 5 === 0;
}

/** Pushes a generated log through the same boundary HTTP uses, in batches. */
async function loadDemo(engine: Engine, subjects: number, days: number, say: (msg: string) => void) {
  say(`loading demo data: ${subjects} subjects × ${days} days …`);
  const started = Date.now();
  // A realistic consent mix: four in five demo shoppers allow personalization and analytics; the rest
  // stay at the default (deny), so the demo shows both personalized and non-personalized answers. Who is
  // in which group follows from the id alone (not from the order shoppers first appear in, which moves
  // with the generated days), so the README's example shopper is a consented one on every run.
  let granted = 0;
  const seen = new Set<string>();
  for (const event of generateBehavior({ subjects, days, seed: 1 })) {
    if (seen.has(event.subject)) continue;
    seen.add(event.subject);
    if (demoDeniesConsent(event.subject)) continue;
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

type DemoTask = 'intent' | 'offers';

/** What each demo model's training runs (small, so the quick start has it within a minute or two). */
const DEMO_TRAINING: Record<DemoTask, { args: string[]; route: string }> = {
  intent: { args: ['train', 'intent', '--epochs', '8'], route: 'POST /v1/intent' },
  offers: { args: ['train', 'offers', '--epochs', '2', '--tune-rounds', '1'], route: 'POST /v1/offers' },
};

/**
 * `iob train <task> --events <demo log> --promote` for each task in turn, in low-priority child processes;
 * reports as each ends. The demo log (raw, if synthetic, ids) is written to a temp folder and removed
 * afterwards, not kept in the data dir. The trainers get the engine's NATS URL so they consult the consent
 * registry and the erasure list. Returns a handle whose `kill` stops the one running.
 */
async function trainDemoModels(
  tasks: readonly DemoTask[],
  o: { dataDir: string; registry: string; natsUrl: string; subjects: number; days: number },
  say: (msg: string) => void,
): Promise<{ kill(): void }> {
  const temp = mkdtempSync(join(tmpdir(), 'iob-demo-train-'));
  const events = join(temp, 'demo-events.csv');
  const writer = createCanonicalWriter(events);
  for (const event of generateBehavior({ subjects: o.subjects, days: o.days, seed: 1 })) await writer.write(event);
  await writer.close();
  let current: ChildProcess | undefined;
  let stopped = false;
  const next = (i: number) => {
    const task = tasks[i];
    if (task === undefined || stopped) return rmSync(temp, { recursive: true, force: true });
    const { args, route } = DEMO_TRAINING[task];
    const logPath = join(o.dataDir, `demo-train-${task}.log`);
    const out = openSync(logPath, 'a', 0o600);
    const extra = ['--events', events, '--registry', o.registry, '--data-dir', o.dataDir, '--nats-url', o.natsUrl, '--promote'];
    current = spawn(process.execPath, [IOB_BIN, ...args, ...extra], { stdio: ['ignore', out, out] });
    if (current.pid) setPriority(current.pid, 10);
    say(`training the demo ${task} model in the background (log: ${logPath}); ${route} answers 503 until it is promoted`);
    current.once('exit', (code, signal) => {
      if (code === 0) say(`demo ${task} model trained and promoted: ${route} now answers (iob models list shows it)`);
      else if (!signal) say(`demo ${task} training failed (exit ${code}); see ${logPath}`);
      next(i + 1);
    });
  };
  next(0);
  return {
    kill() {
      stopped = true;
      current?.kill();
    },
  };
}
