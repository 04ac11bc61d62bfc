/**
 * The HTTP app: wiring only. `buildApp` returns a ready-to-listen Fastify instance (tests use `inject`).
 * Routes live in routes/, one domain per file; auth, errors, metrics and OpenAPI are cross-cutting here.
 */
import { randomBytes } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { IobError, type ApiKey, type Logger, type Purpose, type Scope } from '../engine/index.ts';
import { createKeyring, type Principal } from './auth.ts';
import { compiledValidatorCompiler } from './compiled-validator.ts';
import type { ServingEngine } from './engine-port.ts';
import { installErrorHandling, routerError, sendError } from './error-handler.ts';
import { trackRouteMethods } from './method-not-allowed.ts';
import { API_KEY_SCHEME, openApiTransform } from './openapi.ts';
import { installRateLimits } from './rate-limit.ts';
import { lazyRequestLogger } from './request-logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { auditRoutes } from './routes/audit.ts';
import { consentRoutes } from './routes/consent.ts';
import { eventsRoutes } from './routes/events.ts';
import { subjectRoutes } from './routes/subjects.ts';
import { healthRoutes } from './routes/health.ts';
import { intentRoutes } from './routes/intent.ts';
import { createIntentService } from './intent-service.ts';
import { createOffersService } from './offers-service.ts';
import { offersRoutes } from './routes/offers.ts';
import { forecastRoutes } from './routes/forecasts.ts';
import { dashboardRoutes } from './routes/dashboard.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; routes without one are public. */
    scope?: Scope;
    /** the ENDPOINTS key this route was declared under (serving/endpoints.ts) */
    endpoint?: string;
    purpose?: Purpose;
  }
  interface FastifyRequest {
    /** The API key's identity, on routes that require a scope. */
    principal?: Principal;
  }
}

/**
 * Fastify's own request and not-found log lines carry the URL, and paths hold subject ids: they are
 * switched off, and the onResponse hook logs the route pattern instead.
 */
class RoutePatternLogController extends LogController {
  override routeNotFound(): void {}
}

export interface AppOptions {
  engine: ServingEngine;
  apiKeys: readonly ApiKey[];
  log: Logger;
  maxBatch: number;
  bodyLimitBytes: number;
  version?: string;
  /** Model registry root (models/registry.ts); serving follows its pointers. Absent: no model serves (503). */
  registry?: string;
  /** Requests per second per API key for keys without their own `ratePerSecond` (default: unlimited). */
  rateLimitPerSecond?: number;
  /** Requests of one event-loop turn the scoring routes score together (serving/turn-batch.ts; default 8, 1 = none). */
  scoreBatch?: number;
  /** How often the registry pointer is polled besides fs.watch (default 1000 ms). */
  modelPollMs?: number;
  /** Called before the app is ready, to add hooks or routes (benchmarks add a baseline route here). */
  extend?: (app: FastifyInstance) => void | Promise<void>;
}

export interface RouteDeps {
  engine: ServingEngine;
  metrics: Metrics;
  maxBatch: number;
}

const requestIdPrefix = randomBytes(4).toString('hex');
let requestCounter = 0;
const nextRequestId = () => requestIdPrefix + ((requestCounter = (requestCounter + 1) >>> 0)).toString(16).padStart(8, '0');

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new RoutePatternLogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    // Request ids are for correlation, not secrets: a random per-process prefix and a counter (16 hex
    // characters) instead of 8 random bytes per request, which cost more than routing the request.
    genReqId: nextRequestId,
    requestIdHeader: false,
    childLoggerFactory: lazyRequestLogger,
    // Requests that still arrive while the app closes (on a connection busy with one in flight) are
    // answered 503 by the onRequest hook below, in the catalogue's shape: Fastify's own 503 has no code.
    return503OnClosing: false,
    // Subject ids may be 256 characters, more once percent-encoded; the route schemas bound the decoded length.
    routerOptions: { maxParamLength: 4096 },
    // Router errors happen before any hook: answer them from the catalogue too (the default body quotes
    // the path, and with it a raw identifier).
    frameworkErrors: (err, req, reply) => sendError(reply, req, routerError(err)),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(compiledValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only: anything else is a 415, not a string the handlers would have to reject.
  app.removeContentTypeParser('text/plain');

  const metrics = createMetrics(options.engine);
  const debugLogging = options.log.isLevelEnabled('debug');
  const keyring = createKeyring(options.apiKeys);
  installErrorHandling(app);
  const routeOtherMethods = trackRouteMethods(app as unknown as FastifyInstance);

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (closing) throw new IobError('IOB_ERR_UNAVAILABLE', 'the server is shutting down; retry, on another instance if there is one');
    const scope = req.routeOptions.config.scope;
    if (scope) req.principal = keyring.authorize(req, scope);
  });
  // Sec-GPC: 1 on a request that names a subject is an opt-out of personalization for that subject. While
  // the store is known to be out of reach the opt-out cannot be recorded; the request is still answered
  // (the scoring routes honour the header itself: no personalization), not held for the client's timeout,
  // and the browser sends the header again with the next request, which records it once the store is back.
  app.addHook('preHandler', async (req) => {
    if (req.headers['sec-gpc'] !== '1' || !req.principal || !options.engine.isReady()) return;
    const subject = (req.params as { subject?: unknown } | undefined)?.subject ?? (req.body as { subject?: unknown } | undefined)?.subject;
    if (typeof subject === 'string' && subject.length > 0) await options.engine.subjects.recordGpc(subject, req.principal.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ route, method: req.method, status: reply.statusCode }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) req.log.info({ route, method: req.method, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    else if (debugLogging) req.log.debug({ route, method: req.method, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'IoB engine API',
        version: options.version ?? '1',
        description:
          'Consented behavior events in; features, scores and forecasts out. Identifiers are pseudonymized at the boundary. ' +
          'Errors have a stable `code` (see docs/errors.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: API_KEY_SCHEME } } },
    },
    transform: openApiTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await installRateLimits(app as unknown as FastifyInstance, options.apiKeys, options.rateLimitPerSecond ?? 0);
  const deps: RouteDeps = { engine: options.engine, metrics, maxBatch: options.maxBatch };
  await app.register(healthRoutes(deps));
  await app.register(eventsRoutes(deps));
  await app.register(consentRoutes(deps));
  await app.register(subjectRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(forecastRoutes(deps));
  await app.register(dashboardRoutes());
  const intent = await createIntentService({ engine: options.engine, registry: options.registry, log: options.log, pollMs: options.modelPollMs });
  app.addHook('onClose', async () => intent.close());
  const offers = await createOffersService({ engine: options.engine, registry: options.registry, log: options.log, pollMs: options.modelPollMs, intent });
  app.addHook('onClose', async () => offers.close());
  await app.register(intentRoutes(intent, { offers, batch: options.scoreBatch }));
  await app.register(offersRoutes(offers, options.engine, options.scoreBatch));
  await options.extend?.(app as unknown as FastifyInstance);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  routeOtherMethods();

  await app.ready();
  return app as unknown as FastifyInstance;
}
