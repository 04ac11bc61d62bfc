/**
 * `iob features build` — a point-in-time training set: for every label row, the features exactly as the
 * online store would have served them at the label's time, computed by the online store's own code
 * (engine/features/point-in-time.ts). Ids are pseudonymized with the engine's key so labels and events
 * meet on the same pseudonyms; subjects on the erasure list are left out.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readLabelFile, trainingHeaderLine, trainingRowLine } from '../datasets/index.ts';
import { LIKELY_SECONDS_BELOW_MS, likelySecondsWarning } from '../datasets/canonical-event.ts';
import { openTextSink } from '../datasets/io/text-sink.ts';
import { duplicateColumn, isArrowPath, unsupportedOutput, writeTrainingArrow } from '../datasets/training-arrow.ts';
import { buildPointInTimeRowsInParallel, decodeEvent, EventColumns, EVENTS_STREAM, IobError, prewarmBuildWorker, type LabelRow } from '../engine/index.ts';
import { openEventScope, readFeatureEvents } from '../training/feature-events.ts';
import { openOutput, outputFileError } from './output-error.ts';
import { createProgress } from './progress.ts';

export interface FeaturesBuildOptions {
  events?: string;
  fromStream?: boolean;
  labels: string;
  out: string;
  dataDir?: string;
  natsUrl?: string;
  strict?: boolean;
}

export async function runFeaturesBuild(opts: FeaturesBuildOptions, say: (line: string) => void): Promise<{ rows: number; events: number; excludedLabels: number }> {
  if (!opts.events && !opts.fromStream) throw new IobError('IOB_ERR_VALIDATION', 'pass --events FILE or --from-stream');
  if (opts.events && opts.fromStream) throw new IobError('IOB_ERR_VALIDATION', 'pass --events or --from-stream, not both', [{ path: '--from-stream', reason: 'conflict', message: 'not with --events' }]);
  for (const [flag, input] of [['--labels', opts.labels], ['--events', opts.events]] as const) {
    if (input !== undefined && resolve(input) === resolve(opts.out)) {
      throw new IobError('IOB_ERR_VALIDATION', `--out must differ from ${flag}`, [{ path: '--out', reason: 'same_as_input', message: `must differ from ${flag}` }]);
    }
  }
  const unsupported = unsupportedOutput(opts.out);
  if (unsupported) throw new IobError('IOB_ERR_VALIDATION', `--out ${opts.out}: ${unsupported}`, [{ path: '--out', reason: 'format', message: unsupported }]);
  const arrow = isArrowPath(opts.out);
  // Opened before the work, so a path that cannot be written fails in a second, not after the replay.
  const out = openOutput('--out', opts.out, () => openTextSink(opts.out));
  let written = false;
  /** An output failure (a full disk, a folder gone) as the `--out` error, whichever step met it. */
  const onOutput = (step: Promise<void>): Promise<void> =>
    step.catch((err: unknown) => {
      throw outputFileError('--out', opts.out, err);
    });
  const scope = await openEventScope(opts, say).catch(async (err: unknown) => {
    await out.abort();
    throw err;
  });
  const { pseudonymize, erased, nc } = scope;
  const started = performance.now();
  // The replay's second thread starts while the inputs are read (it is not used with a purpose gate).
  if (!scope.admits) prewarmBuildWorker();

  try {
    const labelFile = await readLabelFile(opts.labels, { strict: opts.strict });
    // Arrow readers look columns up by name: a label header naming one twice is refused before any work.
    const twice = arrow ? duplicateColumn(labelFile.header) : undefined;
    if (twice !== undefined) {
      throw new IobError('IOB_ERR_VALIDATION', `${opts.labels}, line 1: the column ${twice} is named twice; Arrow output (${opts.out}) needs unique column names`, [
        { path: '--labels', reason: 'duplicate_column', message: `names ${twice} twice` },
      ]);
    }
    for (const bad of labelFile.badRows.slice(0, BAD_LABELS_SHOWN)) say(`skipped label line ${bad.line}, column ${bad.column}: ${bad.message}`);
    if (labelFile.badRows.length > BAD_LABELS_SHOWN) say(`… ${labelFile.badRows.length - BAD_LABELS_SHOWN} more bad label rows`);
    // A training set without rows, or whose every feature is zero because no event could be read, is
    // a mistake in the inputs, not a result: said as one, so a pipeline does not train on it. The labels
    // (small beside the events) are read first, so a mistake in them is said before the events are read.
    if (labelFile.rows.length === 0) {
      const why = labelFile.badRows.length > 0 ? `${allBad(labelFile.badRows.length)} (listed above)` : 'it has no data rows';
      throw new IobError('IOB_ERR_VALIDATION', `${opts.labels}: no label row to build: ${why}`, [{ path: '--labels', reason: 'empty', message: why }]);
    }

    let events = new EventColumns();
    let badRows = 0;
    let excludedEvents = 0;
    const progress = createProgress('events', 'events');
    if (opts.fromStream) {
      if (!nc) throw new IobError('IOB_ERR_VALIDATION', '--from-stream needs NATS_URL (or --nats-url)');
      const js = nc.jetstream();
      const jsm = await nc.jetstreamManager();
      const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
      if (last > 0) {
        const consumer = await js.consumers.get(EVENTS_STREAM);
        const messages = await consumer.consume({ max_messages: 5000 });
        for await (const m of messages) {
          const e = decodeEvent(m.data);
          if (erased(e.sid)) excludedEvents++;
          else events.push(e);
          progress.increment();
          if (m.seq >= last || m.info.pending === 0) break;
        }
        await messages.close();
      }
    } else {
      const read = await readFeatureEvents(opts.events!, scope, { strict: opts.strict, say, onEvent: () => progress.increment() });
      events = read.events;
      badRows = read.badRows;
      excludedEvents = read.excludedEvents;
    }
    progress.stop();

    if (events.length === 0 && excludedEvents === 0) {
      const source = opts.fromStream ? `the stream ${EVENTS_STREAM}` : opts.events!;
      const why = badRows > 0 ? allBad(badRows) : 'it holds no events';
      throw new IobError('IOB_ERR_VALIDATION', `${source}: no event to build features from: ${why}`, [{ path: opts.fromStream ? '--from-stream' : '--events', reason: 'empty', message: why }]);
    }
    const early = labelFile.rows.filter((r) => r.ts < LIKELY_SECONDS_BELOW_MS);
    if (early.length > 0) say(likelySecondsWarning(early.length, 'label row', early[0]!.line));
    const kept = labelFile.rows.filter((r) => !erased(pseudonymize('subject', r.subject)));
    const labels: LabelRow[] = kept.map((r) => ({
      subject: pseudonymize('subject', r.subject),
      ts: r.ts,
      ...(r.session !== undefined ? { session: pseudonymize('session', r.session) } : {}),
      ...(r.item !== undefined ? { item: r.item } : {}),
    }));
    const replay = createProgress('replay', 'events', events.length);
    let shown = 0;
    const result = await buildPointInTimeRowsInParallel(events, labels, {
      ...(scope.admits ? { admits: scope.admits } : {}),
      onProgress: (applied) => {
        replay.increment(applied - shown);
        shown = applied;
      },
    });
    replay.stop();

    const clash = labelFile.header.find((name) => result.columns.includes(name));
    if (clash !== undefined) {
      throw new IobError('IOB_ERR_VALIDATION', `${opts.labels}, line 1: column ${clash} is also a feature (is this a built training set? pass the labels alone)`, [
        { path: '--labels', reason: 'feature_column', message: `has the feature column ${clash}` },
      ]);
    }
    if (arrow) {
      await writeTrainingArrow(
        { writeBytes: (bytes) => onOutput(out.writeBytes(bytes)) },
        {
          header: labelFile.header,
          textColumns: labelFile.idColumns,
          features: result.columns,
          rows: kept.length,
          cells: (i) => kept[i]!.cells,
          values: (i) => result.row(i),
        },
      );
    } else {
      // Rows go out in chunks of ~1 MB: a write (and an await) per row cost more than formatting the row.
      let chunk = trainingHeaderLine(labelFile.header, result.columns) + '\n';
      for (let i = 0; i < kept.length; i++) {
        chunk += trainingRowLine(kept[i]!.cells, result.row(i)) + '\n';
        if (chunk.length >= 1 << 20) {
          await onOutput(out.write(chunk));
          chunk = '';
        }
      }
      if (chunk) await onOutput(out.write(chunk));
    }
    await onOutput(out.close());
    written = true;

    const stats = result.store.stats();
    const seconds = (performance.now() - started) / 1000;
    say(
      `wrote ${kept.length} rows × ${result.columns.length} features to ${opts.out} from ${events.length} events in ${seconds.toFixed(1)} s` +
        ` on ${result.threads === 1 ? 'one thread' : `${result.threads} threads`}` +
        ` (${Math.round(events.length / Math.max(seconds, 1e-3))} events/s); ${badRows} bad event rows skipped; ${labelFile.badRows.length} bad label rows skipped; ` +
        `${labelFile.rows.length - kept.length} label rows and ${excludedEvents} events of erased subjects excluded; ${stats.late} late events; ` +
        (scope.admits ? 'consent applied from the registry' : 'consent registry not consulted (no NATS_URL)'),
    );
    return { rows: kept.length, events: events.length, excludedLabels: labelFile.rows.length - kept.length };
  } finally {
    if (!written) await out.abort();
    await scope.close();
  }
}

const allBad = (n: number) => (n === 1 ? 'its one row is bad' : `all ${n} of its rows are bad`);

/** How many bad label rows are listed one by one before only the count is. */
const BAD_LABELS_SHOWN = 5;


export function register(program: Command) {
  const features = program.command('features').description('the feature store');
  features
    .command('build')
    .description('build a point-in-time training set: features as the online store would have served them at each label time')
    .option('--events <file>', 'canonical event file (CSV or JSONL, optionally .gz)')
    .option('--from-stream', 'read the events from the live IOB_EVENTS stream instead of a file (needs NATS_URL)')
    .requiredOption('--labels <file>', 'CSV with subject,ts[,session,item] and any label columns')
    .requiredOption('--out <file>', 'output: the label columns, then one column per feature; CSV (.csv, .csv.gz), or Arrow IPC / Feather v2 with types (.arrow, .feather, .ipc)')
    .option('--data-dir <dir>', 'where the pseudonym key is kept (IOB_DATA_DIR)')
    .option('--nats-url <url>', 'NATS, for the erasure list and --from-stream (NATS_URL)')
    .option('--strict', 'stop at the first bad event or label row (default: report them with line numbers and skip them)')
    .action(async (opts) => {
      await runFeaturesBuild(opts, (line) => process.stdout.write(line + '\n'));
    });
}
