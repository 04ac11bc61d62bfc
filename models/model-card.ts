/**
 * What every task's model card shares: the file name, the fields every card carries (who may be scored —
 * purposes —, when, which version, how it was split), the zod parse that names the first bad field, and
 * the content tag that makes version names reproducible. Task cards (models/<task>/card.ts) extend
 * `cardBaseShape` with their own sections.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MODEL_CARD_FILE = 'model-card.json';

/** Fields every model card has; a task card spreads them into its own z.object. */
export const cardBaseShape = {
  version: z.string().min(1),
  createdAt: z.string(),
  /** Consent purposes a subject must have granted for this model to use their data. */
  purposes: z.array(z.string()).min(1),
  split: z.record(z.string(), z.unknown()),
};

/** Parses a card with its task's schema, or throws a RangeError naming the file and the first bad field. */
export function parseModelCard<S extends z.ZodType>(schema: S, value: unknown, file = MODEL_CARD_FILE): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${file}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** A short content tag for version names: the same named arrays give the same tag. */
export function contentTag(parts: ReadonlyMap<string, ArrayBufferView>): string {
  const h = createHash('sha256');
  for (const name of [...parts.keys()].sort()) {
    h.update(name);
    const part = parts.get(name)!;
    h.update(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
  }
  return h.digest('hex').slice(0, 8);
}
