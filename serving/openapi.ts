/**
 * The OpenAPI entry of each route: fastify-type-provider-zod turns the route's zod schemas into JSON
 * Schema, and this adds what the route schemas do not state: the scope a route needs (security and
 * description) and the error answers it can give, each status with the error schema narrowed to its codes:
 * 401, 403, 429 and 500 on every route that needs a key; 400 on routes that take input, 413 and 415 on those
 * that take a body; and the codes particular to the route, named in its config (`errors`). Documentation
 * only: validation and serialization never see these schemas.
 */
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERRORS, SCOPES, type ErrorCode } from '../engine/index.ts';
import { RETRY_AFTER_CODES } from './error-handler.ts';
import { errorResponses } from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** error codes particular to the route (beyond auth and input), listed in its OpenAPI entry */
    errors?: readonly ErrorCode[];
  }
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

export const API_KEY_SCHEME =
  `API key (\`Authorization: Bearer <key>\`) with scopes ${SCOPES.map((s) => `\`${s}\``).join(', ')}; \`admin\` has every scope. ` +
  "Each operation's security requirement names the scope it needs.";

const { $schema: _, ...retryAfter } = z.toJSONSchema(z.number().int().min(1).describe('seconds to wait before retrying'));

const KEYED: ErrorCode[] = ['IOB_ERR_UNAUTHORIZED', 'IOB_ERR_FORBIDDEN', 'IOB_ERR_RATE_LIMITED', 'IOB_ERR_INTERNAL'];
const WITH_BODY: ErrorCode[] = ['IOB_ERR_VALIDATION', 'IOB_ERR_MALFORMED_JSON', 'IOB_ERR_EMPTY_BODY', 'IOB_ERR_BODY_TOO_LARGE', 'IOB_ERR_UNSUPPORTED_MEDIA_TYPE'];

export function openApiTransform(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const scope = input.route.config?.scope;
  if (!scope) return jsonSchemaTransform(input);
  const schema = input.schema as Record<string, unknown> & { response?: Record<string, unknown> };
  const codes = [...KEYED, ...(schema.body ? WITH_BODY : schema.querystring || schema.params ? ['IOB_ERR_VALIDATION' as const] : []), ...(input.route.config?.errors ?? [])];
  const response: Record<string, unknown> = { ...schema.response };
  for (const [status, error] of Object.entries(errorResponses(codes))) {
    const own = response[status];
    // a status the route also answers with a body of its own (503 with a batch's per-event results)
    const answer = own instanceof z.ZodType ? z.union([own, error]).describe(`${own.description ?? 'the route\'s answer'}, or ${error.description}`) : error;
    const retry = codes.some((code) => String(ERRORS[code].status) === status && RETRY_AFTER_CODES.has(code));
    // @fastify/swagger reads a response schema's `headers` as the response's headers
    response[status] = retry ? answer.meta({ headers: { 'retry-after': retryAfter } }) : answer;
  }
  const out = jsonSchemaTransform({ ...input, schema: { ...schema, response } } as TransformInput);
  out.schema = {
    ...out.schema,
    // OpenAPI 3.1 lets a requirement of a non-OAuth scheme list the roles it needs: the scope
    security: [{ apiKey: [scope] }],
    description: `${out.schema.description ?? ''}\n\nRequires scope \`${scope}\`.`.trim(),
  } as typeof out.schema;
  return out;
}
