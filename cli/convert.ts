/**
 * `iob convert` — turn a public dataset (Taobao UserBehavior, OTTO, UCI Online Retail, YOOCHOOSE,
 * RetailRocket, DIGINETICA, session-rec/GRU4Rec files) into a canonical event file. Events keep the input's order (grouped by user or
 * session, as the sources are); several `--in` files (clicks and buys, views and purchases, parts of a set)
 * are read in the order given into one file.
 */
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createCanonicalWriter } from '../datasets/canonical-file.ts';
import { CONVERTER_NAMES, CONVERTERS, isConverterName, type ConversionStats, type ConverterName } from '../datasets/convert/index.ts';
import { IobError } from '../engine/index.ts';
import { openOutput, outputFileError } from './output-error.ts';
import { createProgress } from './progress.ts';

export interface ConvertCommandOptions {
  from: ConverterName;
  /** one or more input files, read in this order */
  in: string[];
  out: string;
}

/** `say` receives the summary lines (stdout by default). */
export function register(program: Command, say: (line: string) => void = printLine): void {
  program
    .command('convert')
    .description('convert a public dataset into a canonical event file')
    .requiredOption('--from <format>', `input format: ${CONVERTER_NAMES.join(' | ')}`)
    .requiredOption('--in <files...>', 'input file(s) (.gz is read compressed); several are read in turn into one output, e.g. clicks and buys')
    .requiredOption('--out <file>', 'output file: .csv, .jsonl or .ndjson, optionally .gz')
    .action(async (raw: { from: string; in: string | string[]; out: string }) => {
      await runConvert(parseConvertOptions(raw), say);
    });
}

export function parseConvertOptions(raw: { from: string; in: string | string[]; out: string }): ConvertCommandOptions {
  if (!isConverterName(raw.from)) {
    throw new IobError('IOB_ERR_VALIDATION', `unknown input format for --from; use one of ${CONVERTER_NAMES.join(', ')}`, [
      { path: '--from', reason: 'unknown_format', message: `must be one of ${CONVERTER_NAMES.join(', ')}` },
    ]);
  }
  const inputs = typeof raw.in === 'string' ? [raw.in] : raw.in;
  // Compared by real path: a symbolic link to the output is the output.
  const out = realPath(raw.out);
  const seen = new Set<string>();
  for (const input of inputs) {
    const real = realPath(input);
    if (real === out) {
      throw new IobError('IOB_ERR_VALIDATION', `--out must differ from --in (${input} is the output file)`, [{ path: '--out', reason: 'same_as_input', message: 'must differ from --in' }]);
    }
    if (seen.has(real)) {
      throw new IobError('IOB_ERR_VALIDATION', `--in names ${input} twice (its events would be written twice)`, [{ path: '--in', reason: 'duplicate_input', message: 'names the same file twice' }]);
    }
    seen.add(real);
  }
  return { from: raw.from, in: inputs, out: raw.out };
}

/** Converts the file; reports a summary through `say` and returns the counts. */
export async function runConvert(options: ConvertCommandOptions, say: (line: string) => void): Promise<ConversionStats> {
  const started = performance.now();
  let inputBytes = 0;
  for (const input of options.in) inputBytes += await sizeOf(input);
  const writer = openOutput('--out', options.out, () => createCanonicalWriter(options.out));
  const conversion = CONVERTERS[options.from].convert(options.in);
  const progress = createProgress(`convert ${options.from}`, 'KiB read', Math.max(1, Math.ceil(inputBytes / 1024)));
  let kibShown = 0;
  try {
    for await (const event of conversion) {
      await writer.write(event);
      // Progress moves with the disk reads, which come in large chunks: checking per event costs nothing.
      const kib = Math.floor(conversion.bytesRead / 1024);
      if (kib > kibShown) {
        progress.increment(kib - kibShown);
        kibShown = kib;
      }
    }
    // Every row skipped: an empty event file would pass for a data set without events.
    if (conversion.stats.events === 0) throw noEvents(conversion.stats);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw outputFileError('--out', options.out, err);
  } finally {
    progress.stop();
  }

  const { stats } = conversion;
  const seconds = (performance.now() - started) / 1000;
  say(
    `converted ${options.from}: ${counted(stats.rowsRead, options.from === 'otto' ? 'session' : 'row')} read → ${counted(stats.events, 'event')} ` +
      `(${listCounts(stats.eventsByType)}) → ${options.out} in ${seconds.toFixed(1)} s`,
  );
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  say(skipped === 0 ? 'skipped: none' : `skipped ${fmt(skipped)}: ${listCounts(stats.skipped, stats.skippedLines)}`);
  return stats;
}

function noEvents(stats: ConversionStats): IobError {
  const why = `no events: every one of the ${counted(stats.rowsRead, 'data row')} was skipped (${listCounts(stats.skipped, stats.skippedLines)}); nothing was written`;
  return new IobError('IOB_ERR_VALIDATION', why, [{ path: '--in', reason: 'no_events', message: why }]);
}

/** `1 row`, `2 rows` (thousands separated). */
function counted(n: number, noun: string): string {
  return `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** The file's real path when it exists (links resolved), else the path made absolute. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new IobError('IOB_ERR_VALIDATION', `${path}: not a file`, [{ path: '--in', reason: 'not_a_file', message: 'is not a file' }]);
    return info.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new IobError('IOB_ERR_VALIDATION', `${path}: no such file`, [{ path: '--in', reason: 'not_found', message: 'no such file' }]);
    }
    throw err;
  }
}

/** `name count` by count; with `lines`, each followed by the first lines it happened on. */
function listCounts(counts: Partial<Record<string, number>>, lines: Record<string, number[]> = {}): string {
  return Object.entries(counts)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([name, n]) => `${name} ${fmt(n ?? 0)}${lineList(lines[name], n ?? 0)}`)
    .join(' · ');
}

function lineList(lines: number[] | undefined, count: number): string {
  if (lines === undefined || lines.length === 0) return '';
  return ` (line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}${count > lines.length ? ', …' : ''})`;
}

function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
