/**
 * `iob features build` — a point-in-time training set: for every label row, the features exactly as the
 * online store would have served them at the label's time, computed by the online store's own code
 * (engine/features/point-in-time.ts). Ids are pseudonymized with the engine's key so labels and events
 * meet on the same pseudonyms; subjects on the erasure list are left out.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { connect } from 'nats';
import { readCanonicalEvents, readLabelFile, trainingRowLine } from '../datasets/index.ts';
import {
  buildPointInTimeRows,
  createPseudonymizer,
  decodeEvent,
  ensurePseudonymKey,
  EVENTS_STREAM,
  IobError,
  loadConfig,
  openErasureList,
  type FeatureEvent,
  type LabelRow,
} from '../engine/index.ts';
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
  const config = loadConfig(process.env, { dataDir: opts.dataDir, natsUrl: opts.natsUrl });
  const pseudonymize = createPseudonymizer(config.pseudonymKey ?? ensurePseudonymKey(config.dataDir));
  const started = performance.now();

  // The erasure list lives in NATS; a build that cannot consult it says so instead of guessing.
  const nc = config.natsUrl ? await connect({ servers: config.natsUrl.split(',') }) : undefined;
  const erasures = nc ? await openErasureList(nc.jetstream()) : undefined;
  if (!erasures) say('warning: no NATS_URL, so the erasure list was not consulted');
  const erased = (sid: string) => erasures?.has(sid) ?? false;

  try {
    const events: FeatureEvent[] = [];
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
      for await (const row of readCanonicalEvents(opts.events!)) {
        if ('error' in row) {
          badRows++;
          if (opts.strict) throw new IobError('IOB_ERR_VALIDATION', `${opts.events}, line ${row.line}, column ${row.error.column}: ${row.error.message}`);
          if (badRows <= 5) say(`skipped line ${row.line}: ${row.error.column} ${row.error.message}`);
          continue;
        }
        const e = row.event;
        const sid = pseudonymize('subject', e.subject);
        if (erased(sid)) {
          excludedEvents++;
          continue;
        }
        const fe: FeatureEvent = { ts: e.ts, sid, type: e.type };
        if (e.session !== undefined) fe.ssid = pseudonymize('session', e.session);
        if (e.item !== undefined) fe.item = e.item;
        if (e.category !== undefined) fe.category = e.category;
        if (e.price !== undefined) fe.price = e.price;
        if (e.quantity !== undefined) fe.quantity = e.quantity;
        events.push(fe);
        progress.increment();
      }
    }
    progress.stop();

    const labelFile = await readLabelFile(opts.labels);
    const kept = labelFile.rows.filter((r) => !erased(pseudonymize('subject', r.subject)));
    const labels: LabelRow[] = kept.map((r) => ({
      subject: pseudonymize('subject', r.subject),
      ts: r.ts,
      ...(r.session !== undefined ? { session: pseudonymize('session', r.session) } : {}),
      ...(r.item !== undefined ? { item: r.item } : {}),
    }));
    const replay = createProgress('replay', 'events', events.length);
    let shown = 0;
    const result = buildPointInTimeRows(events, labels, {
      onProgress: (applied) => {
        replay.increment(applied - shown);
        shown = applied;
      },
    });
    replay.stop();

    const out = createWriteStream(opts.out);
    const write = async (line: string) => {
      if (!out.write(line + '\n')) await once(out, 'drain');
    };
    await write([...labelFile.header, ...result.columns].join(','));
    for (let i = 0; i < kept.length; i++) await write(trainingRowLine(kept[i]!.cells, result.row(i)));
    out.end();
    await once(out, 'finish');

    const stats = result.store.stats();
    const seconds = (performance.now() - started) / 1000;
    say(
      `wrote ${kept.length} rows × ${result.columns.length} features to ${opts.out} from ${events.length} events in ${seconds.toFixed(1)} s` +
        ` (${Math.round(events.length / Math.max(seconds, 1e-3))} events/s); ${badRows} bad event rows skipped; ` +
        `${labelFile.rows.length - kept.length} label rows and ${excludedEvents} events of erased subjects excluded; ${stats.late} late events`,
    );
    return { rows: kept.length, events: events.length, excludedLabels: labelFile.rows.length - kept.length };
  } finally {
    await erasures?.close();
    await nc?.close();
  }
}

export function register(program: Command) {
  const features = program.command('features').description('the feature store');
  features
    .command('build')
    .description('build a point-in-time training set: features as the online store would have served them at each label time')
    .option('--events <file>', 'canonical event file (CSV or JSONL, optionally .gz)')
    .option('--from-stream', 'read the events from the live IOB_EVENTS stream instead of a file (needs NATS_URL)')
    .requiredOption('--labels <file>', 'CSV with subject,ts[,session,item] and any label columns')
    .requiredOption('--out <file>', 'output CSV: the label columns, then one column per feature')
    .option('--data-dir <dir>', 'where the pseudonym key is kept (IOB_DATA_DIR)')
    .option('--nats-url <url>', 'NATS, for the erasure list and --from-stream (NATS_URL)')
    .option('--strict', 'stop at the first bad event row')
    .action(async (opts) => {
      await runFeaturesBuild(opts, (line) => process.stdout.write(line + '\n'));
    });
}
