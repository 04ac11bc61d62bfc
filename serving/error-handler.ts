/**
 * Every failure leaves as { code, message, problems?, requestId } with a code from the catalogue.
 * Framework errors are mapped onto catalogue codes; their messages are not passed through, since parser
 * messages can quote the request body (and with it a raw identifier).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERRORS, IobError, isIobError, isStoreUnreachable, safeKey, type ErrorCode, type Problem } from '../engine/index.ts';

function fromFramework(err: FastifyError): IobError {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError & { validationContext?: string }).validationContext ?? '';
    const problems: Problem[] = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean).map(safeKey)].filter(Boolean).join('.'),
      reason: v.keyword,
      message: v.keyword === 'unrecognized_keys' ? unknownFieldsMessage(v.params.keys) : (v.message ?? 'invalid'),
    }));
    return new IobError('IOB_ERR_VALIDATION', undefined, problems);
  }
  const byFrameworkCode: Record<string, ErrorCode> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'IOB_ERR_BODY_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'IOB_ERR_UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'IOB_ERR_EMPTY_BODY',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'IOB_ERR_VALIDATION',
    FST_ERR_CTP_INVALID_JSON_BODY: 'IOB_ERR_MALFORMED_JSON',
  };
  const mapped = err.code ? byFrameworkCode[err.code] : undefined;
  if (mapped) return new IobError(mapped);
  if (err instanceof SyntaxError || err.statusCode === 400) return new IobError('IOB_ERR_MALFORMED_JSON');
  if (err.statusCode === 413) return new IobError('IOB_ERR_BODY_TOO_LARGE');
  if (err.statusCode === 415) return new IobError('IOB_ERR_UNSUPPORTED_MEDIA_TYPE');
  if (err.statusCode === 429) return new IobError('IOB_ERR_RATE_LIMITED');
  if (err.statusCode === 404) return new IobError('IOB_ERR_NOT_FOUND');
  return new IobError('IOB_ERR_INTERNAL');
}

/**
 * zod's message quotes the unknown keys as sent, and a key can be an identifier (an e-mail address sent as
 * a purpose): they go through safeKey like every key in a path, so a personal-looking one reads `[key]`.
 */
export function unknownFieldsMessage(keys: unknown): string {
  const names = Array.isArray(keys) ? keys.map((k) => safeKey(String(k))) : [];
  return names.length === 0 ? 'unknown field' : `unknown ${names.length === 1 ? 'field' : 'fields'}: ${names.join(', ')}`;
}

/** Errors of the router (a malformed or over-long path), which reach no route and no error handler. */
export function routerError(err: FastifyError): IobError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new IobError('IOB_ERR_VALIDATION', undefined, [{ path: 'params', reason: 'too_big', message: 'a path parameter is too long' }]);
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    return new IobError('IOB_ERR_VALIDATION', undefined, [{ path: 'url', reason: 'invalid_format', message: 'the path is not valid percent-encoding' }]);
  }
  return fromFramework(err);
}

/** The answers that tell the client when to retry (the OpenAPI document lists the header on them). */
export const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set(['IOB_ERR_UNAVAILABLE', 'IOB_ERR_RATE_LIMITED']);

export function sendError(reply: FastifyReply, req: FastifyRequest, err: IobError) {
  if (RETRY_AFTER_CODES.has(err.code)) reply.header('retry-after', '1');
  return reply.code(err.status).send({
    code: err.code,
    message: err.message,
    ...(err.problems.length ? { problems: err.problems } : {}),
    requestId: req.id,
  });
}

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    // NATS out of reach (consent, subject rights, catalog, audit) is a 503 to retry, not a bug
    const err = isIobError(error) ? error : isStoreUnreachable(error) ? new IobError('IOB_ERR_UNAVAILABLE') : fromFramework(error);
    if (err.status >= 500) // The first stack line is the message, which may quote input: log the frames only.
      req.log.error({ err: { type: error.name, code: error.code, frames: error.stack?.split('\n').slice(1, 8).join('\n') } }, 'request failed');
    return sendError(reply, req, err);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, req, new IobError('IOB_ERR_NOT_FOUND')));
}

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
