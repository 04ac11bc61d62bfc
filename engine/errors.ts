/**
 * The error catalogue: every error the engine reports to a caller has a stable code, an HTTP status and
 * a message template. Codes are never reused; docs/errors.md documents each one (a test holds them equal).
 * Messages never carry input values: they may be raw identifiers.
 */

export interface Problem {
  /** Dotted path of the offending field, e.g. `events.3.ts`, or '' for the whole request. */
  path: string;
  /** Machine-readable reason, e.g. `invalid_type`, `too_big`, `future_timestamp`. */
  reason: string;
  message: string;
}

export const ERRORS = {
  IOB_ERR_CONFIG: { status: 500, message: 'invalid configuration' },
  IOB_ERR_VALIDATION: { status: 400, message: 'request does not match the schema' },
  IOB_ERR_MALFORMED_JSON: { status: 400, message: 'request body is not valid JSON' },
  IOB_ERR_EMPTY_BODY: { status: 400, message: 'request body is empty' },
  IOB_ERR_BATCH_TOO_LARGE: { status: 413, message: 'too many events in one batch' },
  IOB_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body is too large' },
  IOB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  IOB_ERR_UNAUTHORIZED: { status: 401, message: 'missing or unknown API key' },
  IOB_ERR_FORBIDDEN: { status: 403, message: 'API key lacks the required scope' },
  IOB_ERR_NOT_FOUND: { status: 404, message: 'no such route' },
  IOB_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed on this route' },
  IOB_ERR_RATE_LIMITED: { status: 429, message: 'too many requests' },
  IOB_ERR_UNAVAILABLE: { status: 503, message: 'event store unavailable, retry later' },
  IOB_ERR_INTERNAL: { status: 500, message: 'internal error' },
  IOB_ERR_FORECAST_NOT_FOUND: { status: 404, message: 'no forecast for that item or category' },
  IOB_ERR_FORECASTS_UNAVAILABLE: { status: 503, message: 'no forecasts have been published yet' },
  IOB_ERR_MODEL_UNAVAILABLE: { status: 503, message: 'no model version is serving for this route yet; train and promote one' },
  IOB_ERR_OFFERS_UNAVAILABLE: { status: 503, message: 'no offers model version is serving yet, so there is nothing to rank; train and promote one' },
  IOB_ERR_WRONG_WORKER: { status: 421, message: "this worker does not hold the subject's partition" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class IobError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly problems: Problem[];
  constructor(code: ErrorCode, message?: string, problems: Problem[] = []) {
    super(message ?? ERRORS[code].message);
    this.name = 'IobError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.problems = problems;
  }
}

export function isIobError(err: unknown): err is IobError {
  return err instanceof IobError;
}
