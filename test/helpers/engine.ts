/** An engine plus HTTP app against a test nats-server, torn down after the test. */
import type { TestContext } from 'node:test';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createLogger, loadConfig, startEngine, startNatsServer, type ApiKey, type Config, type Engine, type Purpose } from '../../engine/index.ts';
import { buildApp, type AppOptions } from '../../serving/app.ts';
import { defer, startTestNats, tempDir } from './nats.ts';

export const TEST_KEYS: ApiKey[] = [
  { id: 'admin', key: 'test-admin-key-0123456789', scopes: ['admin'] },
  { id: 'ingest', key: 'test-ingest-key-0123456789', scopes: ['ingest'] },
  { id: 'score', key: 'test-score-key-01234567890', scopes: ['score'] },
  { id: 'forecast', key: 'test-forecast-key-0123456789', scopes: ['forecast:read'] },
  { id: 'consent', key: 'test-consent-key-0123456789', scopes: ['consent'] },
];
export const bearer = (id: 'admin' | 'ingest' | 'score' | 'forecast' | 'consent') => ({ authorization: `Bearer ${TEST_KEYS.find((k) => k.id === id)!.key}` });

export interface TestStack {
  engine: Engine;
  app: FastifyInstance;
  config: Config;
  /** Every log line written, for canary scans. */
  logs: string[];
  natsStoreDir: string;
  /** Stops the stack's nats-server (an outage); the function it returns starts it again on the same port and store. */
  stopNats(): Promise<() => Promise<void>>;
}

/** `appOptions` passes serving options through (e.g. a model `registry`). */
export async function startTestStack(
  t: TestContext,
  overrides: Partial<Record<keyof Config, unknown>> = {},
  appOptions: Partial<Pick<AppOptions, 'registry' | 'modelPollMs' | 'rateLimitPerSecond' | 'scoreBatch'>> = {},
): Promise<TestStack> {
  const nats = await startTestNats(t);
  const dataDir = tempDir(t, 'iob-data-');
  const config = loadConfig({}, { natsUrl: nats.url, dataDir, logLevel: 'debug', apiKeys: TEST_KEYS, ...overrides });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const log = createLogger(config.logLevel, sink);
  const engine = await startEngine({ config, log });
  const app = await buildApp({ engine, apiKeys: TEST_KEYS, log, maxBatch: config.maxBatch, bodyLimitBytes: config.bodyLimitBytes, ...appOptions });
  defer(t, async () => {
    await app.close();
    await engine.close();
  });
  const stopNats = async () => {
    await nats.stop();
    return async () => {
      const again = await startNatsServer({ storeDir: nats.storeDir, port: nats.port });
      defer(t, () => again.stop());
    };
  };
  return { engine, app, config, logs, natsStoreDir: nats.storeDir, stopNats };
}

/** Records grants effective from the epoch, so every event of the test qualifies. */
export async function grantConsent(engine: Pick<Engine, 'subjects'>, purposes: readonly Purpose[], ...subjects: string[]): Promise<void> {
  const granted = Object.fromEntries(purposes.map((p) => [p, true]));
  for (const s of subjects) await engine.subjects.updateConsent(s, { purposes: granted, source: 'test', at: 0 }, 'test');
}

/** Records a personalization grant effective from the epoch, so every event of the test qualifies. */
export async function grantPersonalization(engine: Pick<Engine, 'subjects'>, ...subjects: string[]): Promise<void> {
  await grantConsent(engine, ['personalization'], ...subjects);
}
