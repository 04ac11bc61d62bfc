/**
 * `iob train offers` — next-best-offer embeddings and ranking, evaluated on the session-rec protocol beside
 * POP and SKNN. Attaches to the `train` command that cli/train.ts creates (register after it). Progress
 * goes to stderr; with --json the metrics are the last line of stdout.
 */
import type { Command } from 'commander';
import { createProgress } from './progress.ts';

export function register(program: Command): void {
  const train = program.commands.find((c) => c.name() === 'train');
  if (train === undefined) throw new Error('cli/train-offers.ts: register cli/train.ts first');
  train
    .command('offers')
    .description('next-best offers: item2vec embeddings + co-occurrence + session ranking, beside POP and SKNN (HR@20, MRR@20)')
    .requiredOption('--events <file>', 'canonical event file (CSV or JSONL, optionally .gz)')
    .option('--test-days <d>', 'test period: sessions starting in the last D days', '1')
    .option('--train-days <d>', 'train on the sessions of the D days before the test period only (default: all earlier sessions)')
    .option('--epochs <n>', 'item2vec epochs per fit', '5')
    .option('--dim <n>', 'embedding dimensions', '32')
    .option('--subsample <t>', "item2vec: word2vec's subsampling of frequent items (e.g. 1e-4; 0: off)", '0')
    .option('--tune-rounds <n>', 'coordinate-ascent rounds on the validation slice (0: default ranking)', '2')
    .option('--session-gap <minutes>', "inactivity gap that splits sessions (default: the engine's 30)")
    .option('--strict', 'refuse a file with bad rows (default: report them with line numbers and skip them)')
    .option('--seed <n>', 'random seed', '0')
    .option('--registry <dir>', 'model registry (default: <data dir>/models)')
    .option('--reports <dir>', 'report folder (default: <data dir>/reports)')
    .option('--data-dir <dir>', 'data dir (IOB_DATA_DIR)', process.env.IOB_DATA_DIR ?? './.iob')
    .option('--nats-url <url>', 'NATS, to consult the erasure list and the consent registry (NATS_URL)')
    .option('--promote', 'serve the new version')
    .option('--no-register', 'evaluate and report only')
    .option('--json', 'print the metrics as JSON on the last line')
    .action(async (opts) => {
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const { offersMetricsJson, runTrainOffers } = await import('../training/offers/train-offers.ts');
      const result = await runTrainOffers(
        {
          events: opts.events,
          testDays: opts.testDays,
          trainDays: opts.trainDays,
          epochs: opts.epochs,
          dim: opts.dim,
          subsample: opts.subsample,
          tuneRounds: opts.tuneRounds,
          sessionGapMinutes: opts.sessionGap,
          strict: opts.strict === true,
          seed: opts.seed,
          registry: opts.registry,
          reports: opts.reports,
          dataDir: opts.dataDir,
          ...(opts.natsUrl ? { natsUrl: opts.natsUrl } : {}),
          promote: opts.promote,
          register: opts.register,
        },
        opts.json ? (line) => process.stderr.write(`${line}\n`) : say,
        { progress: createProgress },
      );
      if (opts.json) say(offersMetricsJson(result));
    });
}
