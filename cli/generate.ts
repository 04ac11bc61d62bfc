/**
 * `iob generate` — write a seeded synthetic behavior log as a canonical event file (and optionally the
 * catalog it was drawn from). Same options, same file: `--end` pins the period for byte-identical reruns.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { withBadRows } from '../datasets/bad-rows.ts';
import { parseTimestampText } from '../datasets/canonical-event.ts';
import { canonicalFormatOf, createCanonicalWriter } from '../datasets/canonical-file.ts';
import { DEFAULT_CATEGORIES, DEFAULT_ITEMS, generateCatalog } from '../datasets/catalog.ts';
import { writeCatalogFile } from '../datasets/catalog-file.ts';
import { catalogFormatOf } from '../datasets/catalog-load.ts';
import { generateBehavior, generationWindow, type GenerateOptions } from '../datasets/generate.ts';
import { IobError, type Problem } from '../engine/index.ts';
import { wholeNumberFlag } from './flags.ts';
import { openOutput, outputFileError } from './output-error.ts';
import { createProgress } from './progress.ts';

export interface GenerateCommandOptions extends GenerateOptions {
  out: string;
  /** share of bad rows among all rows written, [0, 1) */
  badRowRate: number;
  catalog?: string;
}

export interface GenerateSummary {
  events: number;
  badRows: number;
  start: number;
  end: number;
  seconds: number;
}

/** `say` receives the summary lines (stdout by default). */
export function register(program: Command, say: (line: string) => void = printLine): void {
  program
    .command('generate')
    .description('write a seeded synthetic behavior log (canonical CSV or JSONL, .gz to compress)')
    .requiredOption('--subjects <n>', 'number of simulated people')
    .requiredOption('--days <n>', 'days of history')
    .requiredOption('--seed <n>', 'random seed (0–4294967295): same seed, same log')
    .requiredOption('--out <file>', 'output file: .csv, .jsonl or .ndjson, optionally .gz')
    .option('--items <n>', 'catalog size', String(DEFAULT_ITEMS))
    .option('--categories <n>', 'number of categories', String(DEFAULT_CATEGORIES))
    .option('--bad-rows <rate>', 'share of deliberately invalid rows, e.g. 0.01', '0')
    .option('--catalog <file>', 'also write the catalog (id,category,price) for `iob catalog load`: .csv or .jsonl (optionally .gz)')
    .option('--end <time>', 'end of the period, ISO-8601 or epoch ms (default: now, to the minute)')
    .action(async (raw: Record<string, string | undefined>) => {
      await runGenerate(parseGenerateOptions(raw), say);
    });
}

/** Command-line strings to options; every problem at once, as one validation error. */
export function parseGenerateOptions(raw: Record<string, string | undefined>): GenerateCommandOptions {
  const problems: Problem[] = [];
  const whole = (flag: string, text: string | undefined, min: number, max: number) => wholeNumberFlag(problems, flag, text, min, max);
  const subjects = whole('--subjects', raw.subjects, 1, 10_000_000);
  const days = whole('--days', raw.days, 1, 3660);
  const seed = whole('--seed', raw.seed, 0, 0xffffffff);
  const items = whole('--items', raw.items ?? String(DEFAULT_ITEMS), 1, 10_000_000);
  const categories = whole('--categories', raw.categories ?? String(DEFAULT_CATEGORIES), 1, 100_000);
  if (items < categories) problems.push({ path: '--items', reason: 'too_small', message: `must be at least --categories (${categories}): every category needs an item` });
  const badRowRate = Number(raw.badRows ?? '0');
  if (!(badRowRate >= 0 && badRowRate < 1)) problems.push({ path: '--bad-rows', reason: 'invalid_number', message: 'must be a share from 0 up to (not including) 1' });
  let end: number | undefined;
  if (raw.end !== undefined) {
    const parsed = parseTimestampText(raw.end.trim());
    if (typeof parsed === 'number') end = parsed;
    else problems.push({ path: '--end', reason: parsed.reason, message: `must be epoch milliseconds or ISO-8601 with a time zone` });
  }
  if (!raw.out) problems.push({ path: '--out', reason: 'required', message: 'is required' });
  else if (!isCanonicalFileName(raw.out)) problems.push({ path: '--out', reason: 'unsupported_format', message: 'must end in .csv, .jsonl or .ndjson (optionally .gz)' });
  if (raw.catalog !== undefined) {
    try {
      catalogFormatOf(raw.catalog, '--catalog');
    } catch (err) {
      if (!(err instanceof IobError)) throw err;
      problems.push(...err.problems);
    }
    if (raw.out !== undefined && resolve(raw.catalog) === resolve(raw.out)) problems.push({ path: '--catalog', reason: 'same_as_output', message: 'must differ from --out' });
  }
  if (problems.length > 0) throw new IobError('IOB_ERR_VALIDATION', 'invalid options for iob generate', problems);
  return { subjects, days, seed, items, categories, badRowRate, end, out: raw.out as string, catalog: raw.catalog };
}

/** Writes the log (and catalog); reports a summary through `say`. */
export async function runGenerate(options: GenerateCommandOptions, say: (line: string) => void): Promise<GenerateSummary> {
  const started = performance.now();
  const { start, end } = generationWindow(options);
  // Open the output first: a bad file name fails before any work is done.
  const writer = openOutput('--out', options.out, () => createCanonicalWriter(options.out));
  const progress = createProgress('generate', 'simulated hours', options.days * 24);
  let events = 0;
  let badRows = 0;
  try {
    if (options.catalog) await writeCatalogFile(options.catalog, generateCatalog(options));
    let hoursShown = 0;
    for (const row of withBadRows(generateBehavior({ ...options, end }), { rate: options.badRowRate, seed: options.seed })) {
      if ('event' in row) {
        await writer.write(row.event);
        events++;
        const hours = Math.floor((row.event.ts - start) / 3_600_000);
        if (hours > hoursShown) {
          progress.increment(hours - hoursShown);
          hoursShown = hours;
        }
      } else {
        await writer.writeRow(row.badRow);
        badRows++;
      }
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw outputFileError('--out', options.out, options.catalog ? outputFileError('--catalog', options.catalog, err) : err);
  } finally {
    progress.stop();
  }

  const seconds = (performance.now() - started) / 1000;
  const bad = badRows > 0 ? ` and ${fmt(badRows)} bad rows` : '';
  say(
    `generated ${fmt(events)} events${bad} for ${fmt(options.subjects)} subjects over ${options.days} days ` +
      `(${iso(start)} → ${iso(end)}, seed ${options.seed}) → ${options.out} in ${seconds.toFixed(1)} s`,
  );
  if (options.catalog) say(`catalog: ${fmt(options.items ?? DEFAULT_ITEMS)} items in ${fmt(options.categories ?? DEFAULT_CATEGORIES)} categories → ${options.catalog}`);
  return { events, badRows, start, end, seconds };
}

function isCanonicalFileName(path: string): boolean {
  try {
    canonicalFormatOf(path);
    return true;
  } catch {
    return false;
  }
}

function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(':00.000Z', 'Z');
}
