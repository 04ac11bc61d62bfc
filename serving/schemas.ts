/**
 * HTTP contracts. Built from the engine's zod schemas; fastify validates with them and @fastify/swagger
 * turns them into the OpenAPI document, so docs and behaviour cannot drift apart.
 */
import { z } from 'zod';
import { BehaviorEventSchema } from '../engine/index.ts';

export const ProblemSchema = z.object({
  path: z.string().describe('dotted path of the field, e.g. events.3.ts'),
  reason: z.string().describe('machine-readable reason, e.g. invalid_type, future_timestamp'),
  message: z.string(),
});

export const ErrorResponseSchema = z
  .object({
    code: z.string().describe('stable error code, see docs/errors.md'),
    message: z.string(),
    problems: z.array(ProblemSchema).optional(),
    requestId: z.string().optional(),
  })
  .describe('Every 4xx/5xx answer has this shape.');

export const IngestRequestSchema = z
  .object({ events: z.array(BehaviorEventSchema).min(1) })
  .describe('A batch of behavior events. Each event is validated on its own: a bad event is rejected, its valid neighbours are kept.');

export const EventResultSchema = z.object({
  index: z.number().int().describe('position in the request batch'),
  status: z.enum(['accepted', 'duplicate', 'rejected', 'failed']),
  seq: z.number().int().optional().describe('stream sequence of the stored event'),
  problems: z.array(ProblemSchema).optional(),
  dropped: z.array(z.string()).optional().describe('fields removed at the privacy boundary'),
  redacted: z.array(z.string()).optional().describe('fields whose values looked like e-mail addresses or phone numbers'),
});

export const IngestResponseSchema = z.object({
  accepted: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int().describe('valid events the event store did not acknowledge: retry them (ids dedupe)'),
  results: z.array(EventResultSchema),
});

export const HealthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
export const ReadySchema = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });
