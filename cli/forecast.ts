/**
 * `iob forecast refresh`: forecasts for every item and category with the registry's serving forecast
 * model, published to the forecast store (NATS object store IOB_FORECASTS) that every serving process
 * follows. Series come from a file (`--events`, `--series`) or, by default, from the engine's demand
 * history in its latest feature snapshot (`<data dir>/snapshots/features.msgpack`). The running engine
 * does the same on its own schedule (IOB_FORECAST_REFRESH).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { connect } from 'nats';
import { IobError, openForecastStore, readSnapshot } from '../engine/index.ts';
import { refreshForecasts, seriesFromDemandHistory } from '../training/forecast/refresh.ts';
import { readEventSeries, readSeriesFile, type SeriesSet } from '../training/forecast/series.ts';

interface RefreshFlags {
  events?: string;
  series?: string;
  freq?: 'day' | 'week';
  nats?: string;
  registry?: string;
  dataDir: string;
  backtest: boolean;
  json?: boolean;
}

export function register(program: Command, say: (line: string) => void = (line) => process.stdout.write(line + '\n')) {
  const forecast = program.command('forecast').description('demand forecasts per item and category');
  forecast
    .command('refresh')
    .description('forecast every item and category with the serving model and publish to the serving processes')
    .option('--events <file>', 'canonical event file (purchases become daily units per item and category)')
    .option('--series <file>', 'CSV date,series,quantity (series named item:<id> / category:<name>; bare names are items)')
    .option('--freq <freq>', 'day | week (series file: default detected)')
    .option('--nats <url>', 'NATS server the engine uses (default: NATS_URL; `iob start` prints its embedded one)', process.env.NATS_URL)
    .option('--registry <dir>', 'model registry (default: <data dir>/models)')
    .option('--data-dir <dir>', 'data dir (IOB_DATA_DIR): registry and feature snapshot', process.env.IOB_DATA_DIR ?? './.iob')
    .option('--no-backtest', 'skip the per-series last-window backtest beside the baselines')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RefreshFlags) => {
      if (opts.events !== undefined && opts.series !== undefined) throw new IobError('IOB_ERR_VALIDATION', 'give at most one of --events or --series');
      if (opts.freq !== undefined && opts.freq !== 'day' && opts.freq !== 'week') throw new IobError('IOB_ERR_VALIDATION', '--freq must be day or week');
      if (!opts.nats) throw new IobError('IOB_ERR_VALIDATION', 'no NATS server: pass --nats <url> or set NATS_URL (iob start prints the URL of its embedded server)');
      const set = await loadSet(opts);
      if (set.series.length === 0) throw new IobError('IOB_ERR_VALIDATION', 'no demand series to forecast (no purchases in the input)');
      const nc = await connect({ servers: opts.nats.split(','), name: 'iob-forecast-refresh' });
      try {
        const store = await openForecastStore(nc.jetstream());
        const result = await refreshForecasts(set, opts.registry ?? join(opts.dataDir, 'models'), store, { backtest: opts.backtest });
        await store.close();
        if (opts.json) say(JSON.stringify(result));
        else say(`published forecasts of ${result.items} items and ${result.categories} categories from ${set.source} with model ${result.version} (${result.seconds.toFixed(1)} s)`);
      } finally {
        await nc.drain();
      }
    });
}

async function loadSet(opts: RefreshFlags): Promise<SeriesSet> {
  const freq = opts.freq === undefined ? {} : { freq: opts.freq };
  if (opts.events !== undefined) return readEventSeries(opts.events, freq);
  if (opts.series !== undefined) return readSeriesFile(opts.series, freq);
  const path = join(opts.dataDir, 'snapshots', 'features.msgpack');
  const store = await readSnapshot(path, {});
  if (!store) throw new IobError('IOB_ERR_VALIDATION', `${path}: no feature snapshot (start the engine first, or pass --events / --series)`);
  return seriesFromDemandHistory(store);
}
