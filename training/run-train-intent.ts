/**
 * Runs `train intent` without the `iob` CLI, for data scientists iterating on the recipe:
 *
 *   npx tsx training/run-train-intent.ts --format online-shoppers \
 *     --data ../shared/data/online-shoppers/online_shoppers_intention.csv --cv 5 [--seed 0] [--json]
 *   npx tsx training/run-train-intent.ts --events events.csv [--strict] [--epochs N] [--json]
 *
 * An entry point, like cli/: it may borrow the CLI's progress bar. `iob train intent` (cli/) calls the same
 * `runTrainIntent`, so both print the same numbers.
 */
import { Command } from 'commander';
import { createProgress } from '../cli/progress.ts';
import { metricsJson, runTrainIntent } from './train-intent.ts';

const program = new Command('run-train-intent')
  .option('--events <file>', 'canonical event file')
  .option('--strict', 'refuse an event file with bad rows')
  .option('--nats-url <url>', 'NATS, for the erasure list and the consent registry (NATS_URL)')
  .option('--format <format>', 'input format of --data: online-shoppers')
  .option('--data <file>', 'input file')
  .option('--cv <k>', 'stratified k-fold cross-validation')
  .option('--seed <n>', 'seed', '0')
  .option('--epochs <n>', "upper bound on each member's epochs")
  .option('--registry <dir>', 'model registry (default <data-dir>/models)')
  .option('--reports <dir>', 'report folder (default <data-dir>/reports)')
  .option('--data-dir <dir>', 'engine data dir')
  .option('--promote', 'promote the new version to serving')
  .option('--no-register', 'evaluate and report only')
  .option('--json', 'print the metrics as JSON on the last line of stdout')
  .parse();

const o = program.opts<{ events?: string; strict?: boolean; natsUrl?: string; epochs?: string; format?: string; data?: string; cv?: string; seed: string; registry?: string; reports?: string; dataDir?: string; promote?: boolean; register: boolean; json?: boolean }>();
// With --json, stdout carries only the JSON line; the narrative goes to stderr.
const say = (line: string): void => void (o.json ? process.stderr : process.stdout).write(`${line}\n`);
const result = await runTrainIntent(
  {
    events: o.events,
    strict: o.strict === true,
    natsUrl: o.natsUrl,
    epochs: o.epochs,
    format: o.format as 'online-shoppers' | undefined,
    data: o.data,
    cv: o.cv,
    seed: o.seed,
    registry: o.registry,
    reports: o.reports,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    promote: o.promote,
    register: o.register,
  },
  say,
  { progress: createProgress },
);
if (o.json) process.stdout.write(`${metricsJson(result)}\n`);
