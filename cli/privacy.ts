/** `iob privacy record` — the record of processing, generated from the declarations in code. */
import type { Command } from 'commander';
import { processingRecord } from '../serving/routes/audit.ts';

export function register(program: Command) {
  const privacy = program.command('privacy').description('privacy accountability');
  privacy
    .command('record')
    .description('print the record of processing activities (JSON), generated from purposes, feature views, models and endpoints')
    .action(() => {
      process.stdout.write(JSON.stringify(processingRecord(), null, 2) + '\n');
    });
}
