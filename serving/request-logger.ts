/**
 * Each request's `req.log`, created when first used. Fastify builds a child logger per request (binding
 * the request id), and pino's child() runs the redaction setup on every one: ~3 µs a request, more than
 * authentication, on routes that log nothing unless a request fails. This stands in for the child and
 * builds it on the first log call, with the same bindings.
 */
import type { FastifyBaseLogger } from 'fastify';

type Bindings = Record<string, unknown>;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Level = (typeof LEVELS)[number];
type LogMethod = (...args: unknown[]) => void;

export class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: object,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }
  get level(): string {
    return this.made?.level ?? (this.options as { level?: string }).level ?? this.parent.level;
  }
  set level(level: string) {
    this.real.level = level;
  }
  // One method per level, on the prototype (below): nothing is allocated per request beyond this object.
  declare fatal: LogMethod;
  declare error: LogMethod;
  declare warn: LogMethod;
  declare info: LogMethod;
  declare debug: LogMethod;
  declare trace: LogMethod;
  silent(): void {}
  log(level: Level, args: unknown[]): void {
    // A line below the level builds nothing (a child with its own level is built to decide).
    if (this.made === undefined && (this.options as { level?: string }).level === undefined && !levelEnabled(this.parent, level)) return;
    const real = this.real;
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }
  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyRequestLogger.prototype, level, {
    value: function (this: LazyRequestLogger, ...args: unknown[]) {
      this.log(level, args);
    },
  });
}

/** pino's isLevelEnabled where the logger has it (fastify's logger type does not declare it). */
function levelEnabled(logger: FastifyBaseLogger, level: Level): boolean {
  const check = (logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled;
  return check === undefined || check.call(logger, level);
}

export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: object): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}
