/**
 * Runs `train intent` without the `iob` CLI, for data scientists iterating on the recipe:
 *
 *   npx tsx training/run-train-intent.ts --format online-shoppers \
 *     --data ../shared/data/online-shoppers/online_shoppers_intention.csv --cv 5 [--seed 0] [--json]
 *
 * An entry point, like cli/: it may borrow the CLI's progress bar. `iob train intent` (cli/) calls the same
 * `runTrainIntent`, so both print the same numbers.
 */
import { Command } from 'commander';
import { createProgress } from '../cli/progress.ts';
import { metricsJson, runTrainIntent } from './train-intent.ts';

const program = new Command('run-train-intent')
  .requiredOption('--format <format>', 'input format: online-shoppers')
  .requiredOption('--data <file>', 'input file')
  .option('--cv <k>', 'stratified k-fold cross-validation')
  .option('--seed <n>', 'seed', '0')
  .option('--registry <dir>', 'model registry (default <data-dir>/models)')
  .option('--reports <dir>', 'report folder (default <data-dir>/reports)')
  .option('--data-dir <dir>', 'engine data dir')
  .option('--promote', 'promote the new version to serving')
  .option('--no-register', 'evaluate and report only')
  .option('--json', 'print the metrics as JSON on the last line of stdout')
  .parse();

const o = program.opts<{ format: string; data: string; cv?: string; seed: string; registry?: string; reports?: string; dataDir?: string; promote?: boolean; register: boolean; json?: boolean }>();
// With --json, stdout carries only the JSON line; the narrative goes to stderr.
const say = (line: string): void => void (o.json ? process.stderr : process.stdout).write(`${line}\n`);
const result = await runTrainIntent(
  {
    format: o.format as 'online-shoppers',
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
