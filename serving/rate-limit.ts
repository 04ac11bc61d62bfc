/**
 * Per-key rate limits: each API key may make `ratePerSecond` requests per second (its own setting, else
 * the configured default; 0 = unlimited). Counted after authentication (the key is known) and before the
 * body is parsed (a limited caller costs no parsing). Over the limit: 429 IOB_ERR_RATE_LIMITED with
 * Retry-After and the x-ratelimit-* headers. Requests without a key never get here (401 first), and public
 * routes (health, metrics, docs) are not limited.
 *
 * @fastify/rate-limit does the counting (in memory, per process): it is the Fastify team's plugin, with
 * the standard headers and a pluggable store should limits ever need to be shared across replicas.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { IobError, type ApiKey } from '../engine/index.ts';

export async function installRateLimits(app: FastifyInstance, keys: readonly ApiKey[], defaultPerSecond: number): Promise<void> {
  const perKey = new Map(keys.map((k) => [k.id, k.ratePerSecond ?? defaultPerSecond]));
  if (![...perKey.values()].some((n) => n > 0)) return;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preParsing',
    timeWindow: 1000,
    keyGenerator: (req) => req.principal?.id ?? '',
    allowList: (req) => !req.principal || !(perKey.get(req.principal.id)! > 0),
    max: (req) => perKey.get(req.principal!.id)!,
    errorResponseBuilder: () => new IobError('IOB_ERR_RATE_LIMITED'),
  });
}
