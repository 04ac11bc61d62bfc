/**
 * `iob train intent|forecast` — the training scripts data scientists run. Progress goes to stderr;
 * with --json the metrics of the model and its baselines are the last line of stdout.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { createProgress } from './progress.ts';

export function register(program: Command) {
  const train = program.command('train').description('train a model, evaluate it beside baselines, write a report, register the version');
  train
    .command('intent')
    .description('purchase intent: --events FILE (canonical events, time split by session) or --format online-shoppers --data FILE')
    .option('--events <file>', 'canonical event file (CSV or JSONL, optionally .gz): every non-purchase event is a scoring point')
    .option('--max-rows <n>', 'with --events: at most about n scoring points; above it whole sessions are sampled, seeded (default: 500000)')
    .option('--strict', 'refuse an input file (--events or --data) with bad rows (default: report them with line numbers and skip them)')
    .option('--nats-url <url>', 'NATS, to consult the erasure list (NATS_URL)')
    .option('--format <format>', 'input format of --data: online-shoppers')
    .option('--data <file>', 'input file of --format')
    .option('--cv <k>', 'stratified k-fold cross-validation (--format only)')
    .option('--seed <n>', 'random seed', '0')
    .option('--epochs <n>', "upper bound on each ensemble member's epochs (default: the recipe's)")
    .option('--registry <dir>', 'model registry (default: <data dir>/models)')
    .option('--reports <dir>', 'report folder (default: <data dir>/reports)')
    .option('--data-dir <dir>', 'data dir (IOB_DATA_DIR)', process.env.IOB_DATA_DIR ?? './.iob')
    .option('--promote', 'serve the new version')
    .option('--no-register', 'evaluate and report only (no final fit, no version)')
    .option('--json', 'print the metrics as JSON on the last line')
    .action(async (opts) => {
      const say = (line: string) => process.stdout.write(line + '\n');
      const { metricsJson, runTrainIntent } = await import('../training/train-intent.ts');
      const result = await runTrainIntent(
        {
          events: opts.events,
          maxRows: opts.maxRows,
          strict: opts.strict === true,
          natsUrl: opts.natsUrl,
          format: opts.format,
          data: opts.data,
          cv: opts.cv,
          seed: opts.seed,
          epochs: opts.epochs,
          registry: opts.registry,
          reports: opts.reports,
          dataDir: opts.dataDir,
          promote: opts.promote,
          register: opts.register,
        },
        opts.json ? (line) => process.stderr.write(line + '\n') : say,
        { progress: createProgress },
      );
      if (opts.json) say(metricsJson(result));
    });
  train
    .command('forecast')
    .description('demand forecasts with p10/p50/p90 beside seasonal-naive, exponential-smoothing and mean baselines')
    .option('--events <file>', 'canonical event file (purchases become daily units per item and category)')
    .option('--series <file>', 'CSV date,series,quantity')
    .option('--dataset <name>', 'a shared real data set: store-item-demand | uci-online-retail')
    .option('--horizon <n>', 'periods held out and forecast', '28')
    .option('--freq <freq>', 'day | week (default: detected)')
    .option('--backtests <n>', 'rolling-origin windows', '1')
    .option('--seed <n>', 'random seed', '42')
    .option('--data-dir <dir>', 'data dir (IOB_DATA_DIR)', process.env.IOB_DATA_DIR ?? './.iob')
    .option('--promote', 'serve the new version')
    .option('--json', 'print the metrics as JSON on the last line')
    .action(async (opts) => {
      const say = (line: string) => process.stdout.write(line + '\n');
      const { runTrainForecast } = await import('../training/forecast/train-forecast.ts');
      const summary = await runTrainForecast(
        {
          events: opts.events,
          series: opts.series,
          dataset: opts.dataset,
          horizon: Number(opts.horizon),
          freq: opts.freq,
          backtests: Number(opts.backtests),
          seed: Number(opts.seed),
          reportsDir: join(opts.dataDir, 'reports'),
          registryDir: join(opts.dataDir, 'models'),
          promote: opts.promote,
        },
        opts.json ? (line) => process.stderr.write(line + '\n') : say,
      );
      if (opts.json) {
        const { task, model, baselines, split, backtest, version } = summary;
        say(JSON.stringify({ task, model, baselines, split, ...(backtest ? { backtest } : {}), version }));
      }
    });
}
