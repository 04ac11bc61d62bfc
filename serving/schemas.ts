/**
 * HTTP contracts. Built from the engine's zod schemas; fastify validates with them and @fastify/swagger
 * turns them into the OpenAPI document, so docs and behaviour cannot drift apart.
 */
import { z } from 'zod';
import { BehaviorEventSchema, PURPOSE_IDS, PURPOSES, TimestampSchema } from '../engine/index.ts';

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

const purposeFlags = Object.fromEntries(PURPOSE_IDS.map((p) => [p, z.boolean().optional().describe(PURPOSES[p].description)])) as {
  [P in (typeof PURPOSE_IDS)[number]]: z.ZodOptional<z.ZodBoolean>;
};

export const SubjectParamsSchema = z.object({
  subject: z.string().min(1).max(256).describe('the raw subject id as the shop knows it; pseudonymized on arrival, never stored'),
});

export const ConsentPutSchema = z.object({
  purposes: z
    .strictObject(purposeFlags)
    .refine((p) => Object.keys(p).length > 0, { message: 'name at least one purpose' })
    .describe('true grants, false withdraws; purposes not named are unchanged'),
  source: z.string().min(1).max(64).describe('where the choice was made: cmp, app, support …'),
  notice: z.string().min(1).max(64).optional().describe('version of the privacy notice shown'),
  at: TimestampSchema.optional().describe('when the choice was made; default now'),
});

export const ConsentViewSchema = z.object({
  purposes: z.object(Object.fromEntries(PURPOSE_IDS.map((p) => [p, z.boolean()])) as Record<(typeof PURPOSE_IDS)[number], z.ZodBoolean>),
  changes: z.array(
    z.object({ at: z.number(), purpose: z.enum(PURPOSE_IDS), granted: z.boolean(), source: z.string(), notice: z.string().optional() }),
  ),
});

export const AuditQuerySchema = z.object({
  from: z.coerce.number().int().min(1).default(1).describe('first sequence to return'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AuditPageSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number(),
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      sid: z.string().optional().describe('pseudonymous subject id'),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  next: z.number().optional().describe('pass as `from` for the next page'),
});

export const ErasureReceiptSchema = z.object({
  requestId: z.string(),
  held: z.boolean().describe('whether anything was held about the subject'),
  purged: z.record(z.string(), z.number()).describe('entries removed, per store'),
  consentTombstoned: z.boolean(),
  addedToErasureList: z.boolean(),
  completedAt: z.string(),
  durationMs: z.number(),
});
