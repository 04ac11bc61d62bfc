/**
 * Structured logs (pino). Identifiers never reach a log line: request logs carry the route pattern, never
 * the URL (paths hold subject ids), and the redaction paths below cover every place an identifier or a
 * secret could be attached to a log object by mistake.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export const REDACT_PATHS = [
  'subject', '*.subject', 'session', '*.session', 'email', '*.email', 'phone', '*.phone', 'ip', '*.ip',
  'key', '*.key', 'apiKey', '*.apiKey', 'authorization', '*.authorization', '*.headers.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'pseudonymKey', '*.pseudonymKey', 'properties', '*.properties',
  'context', '*.context', 'url', '*.url', 'req.url', 'res.url',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
