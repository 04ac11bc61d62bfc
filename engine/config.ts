/**
 * One validated configuration object. Every default lives in DEFAULTS; every setting has one env var;
 * CLI flags override env vars. A bad setting fails start-up with its env var named.
 */
import { z } from 'zod';
import { IobError } from './errors.ts';
import { PURPOSES } from './purposes.ts';

/**
 * How long raw events stay in the stream: the longest retention of the purposes whose state is built per
 * person from them. Aggregate-only purposes (forecasting) keep their own aggregated history in the feature
 * store for their longer retention, so they need no raw events that old.
 */
export const STREAM_RETENTION_DAYS = Math.max(...Object.values(PURPOSES).filter((p) => p.scope === 'per_subject').map((p) => p.retentionDays));

export const SCOPES = ['ingest', 'score', 'forecast:read', 'consent', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ApiKeySchema = z.object({
  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore'),
  key: z.string().min(16, 'at least 16 characters').max(256),
  scopes: z.array(z.enum(SCOPES)).min(1),
  /** requests per second this key may make (default IOB_RATE_LIMIT; 0 = unlimited) */
  ratePerSecond: z.number().int().min(0).max(10_000_000).optional(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './.iob',
  logLevel: 'info',
  retentionDays: STREAM_RETENTION_DAYS,
  maxFutureSkewMs: 5 * 60_000,
  duplicateWindowMs: 2 * 60_000,
  maxBatch: 1000,
  bodyLimitBytes: 4 * 1024 * 1024,
  streamReplicas: 1,
  consumerName: 'iob-engine',
  natsReadyTimeoutMs: 10_000,
  snapshotIntervalMs: 60_000,
  /** daily forecast refresh time (UTC HH:MM), or `off` */
  forecastRefresh: '02:00',
  /** requests per second per API key unless the key sets its own (0 = unlimited) */
  rateLimit: 10_000,
  /** requests of one event-loop turn scored together by the scoring routes (serving/turn-batch.ts); 1 = each at once */
  scoreBatch: 8,
  /** 1: one engine consumes everything; N > 1: workers share N partitions of the stream (needs the server mapping) */
  partitions: 1,
  /** how long a worker's partition lease lives without renewal; a dead worker's partitions move after it */
  leaseTtlMs: 5000,
} as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ConfigSchema = z.object({
  host: z.string().min(1),
  port: int(0, 65535),
  dataDir: z.string().min(1),
  natsUrl: z
    .string()
    .regex(/^(nats|tls|ws|wss):\/\/[^\s]+(,(nats|tls|ws|wss):\/\/[^\s]+)*$/, 'a nats:// URL or a comma-separated list')
    .optional(),
  apiKeys: z.array(ApiKeySchema).min(1).optional(),
  pseudonymKey: z.string().min(32, 'at least 32 characters (use 32 random bytes, hex or base64)').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  retentionDays: int(1, 3650),
  maxFutureSkewMs: int(0, 86_400_000),
  duplicateWindowMs: int(1000, 86_400_000),
  maxBatch: int(1, 100_000),
  bodyLimitBytes: int(1024, 256 * 1024 * 1024),
  streamReplicas: int(1, 5),
  consumerName: z.string().regex(/^[A-Za-z0-9_-]+$/),
  natsReadyTimeoutMs: int(100, 300_000),
  snapshotIntervalMs: int(1000, 86_400_000),
  forecastRefresh: z.string().regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, 'a UTC time HH:MM (daily) or off'),
  rateLimit: int(0, 10_000_000),
  scoreBatch: int(1, 1024),
  partitions: int(1, 1024),
  leaseTtlMs: int(1000, 600_000),
  /** a worker's name in leases (default: host name and process id) */
  workerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, dash, underscore (≤ 64)').optional(),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = { [K in keyof Config]?: unknown };

/** Env var of each setting: the name a user sees in errors and docs. */
export const ENV_VARS: Record<keyof Config, string> = {
  host: 'IOB_HOST',
  port: 'IOB_PORT',
  dataDir: 'IOB_DATA_DIR',
  natsUrl: 'NATS_URL',
  apiKeys: 'IOB_API_KEYS',
  pseudonymKey: 'IOB_PSEUDONYM_KEY',
  logLevel: 'IOB_LOG_LEVEL',
  retentionDays: 'IOB_RETENTION_DAYS',
  maxFutureSkewMs: 'IOB_MAX_FUTURE_SKEW_MS',
  duplicateWindowMs: 'IOB_DUPLICATE_WINDOW_MS',
  maxBatch: 'IOB_MAX_BATCH',
  bodyLimitBytes: 'IOB_BODY_LIMIT_BYTES',
  streamReplicas: 'IOB_STREAM_REPLICAS',
  consumerName: 'IOB_CONSUMER_NAME',
  natsReadyTimeoutMs: 'IOB_NATS_READY_TIMEOUT_MS',
  snapshotIntervalMs: 'IOB_SNAPSHOT_INTERVAL_MS',
  forecastRefresh: 'IOB_FORECAST_REFRESH',
  rateLimit: 'IOB_RATE_LIMIT',
  scoreBatch: 'IOB_SCORE_BATCH',
  partitions: 'IOB_PARTITIONS',
  leaseTtlMs: 'IOB_LEASE_TTL_MS',
  workerId: 'IOB_WORKER_ID',
};

function fromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  for (const [key, name] of Object.entries(ENV_VARS) as [keyof Config, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'apiKeys') {
      try {
        out.apiKeys = JSON.parse(raw);
      } catch {
        throw new IobError('IOB_ERR_CONFIG', `${name}: not valid JSON (expected an array of {"id","key","scopes"})`);
      }
    } else {
      out[key] = raw;
    }
  }
  return out;
}

/** Env vars first, then explicit overrides (CLI flags); undefined overrides are ignored. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const merged: Record<string, unknown> = { ...DEFAULTS, ...fromEnv(env) };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const [head, ...rest] = issue.path;
      const name = ENV_VARS[head as keyof Config] ?? String(head);
      const where = rest.length ? `${name}[${rest.join('.')}]` : name;
      return `${where}: ${issue.message}`;
    });
    throw new IobError('IOB_ERR_CONFIG', `invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}
