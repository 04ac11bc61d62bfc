import { z } from 'zod';
import { DECIMAL } from '../datasets/canonical-event.ts';

/** The command-line flag of a training option: its name in kebab case (`maxRows` → `--max-rows`). */
export function optionFlag(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A number given on the command line: decimal notation only, constrained by `schema`. (`z.coerce.number`
 * read an empty value as 0 and `0x10` as 16.)
 */
export const cliNumber = <S extends z.ZodType<number>>(schema: S) =>
  z.preprocess((v) => (typeof v === 'string' ? (DECIMAL.test(v.trim()) ? Number(v) : Number.NaN) : v), schema);

/** `--promote` serves the version the run registers: with `--no-register` there is none (a refinement for both trainers). */
export function promoteNeedsRegistration(o: { promote?: boolean | undefined; register: boolean }, ctx: z.RefinementCtx): void {
  if (o.promote === true && !o.register) ctx.addIssue({ code: 'custom', path: ['promote'], message: '--promote serves the version this run registers; with --no-register there is none' });
}
