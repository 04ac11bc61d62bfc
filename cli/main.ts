/**
 * `iob` — one command, one module per subcommand; each module exports `register(program)`.
 */
import { Command, CommanderError } from 'commander';
import { isIobError } from '../engine/index.ts';
import * as bench from './bench.ts';
import * as catalog from './catalog.ts';
import * as convert from './convert.ts';
import * as features from './features.ts';
import * as forecast from './forecast.ts';
import * as generate from './generate.ts';
import * as ingest from './ingest.ts';
import * as models from './models.ts';
import * as privacy from './privacy.ts';
import * as start from './start.ts';
import * as train from './train.ts';
import * as trainOffers from './train-offers.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('iob')
    .description('IoB engine: consented behavior events in, features and scores out')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [start, ingest, generate, convert, features, train, trainOffers, catalog, models, forecast, privacy, bench]) command.register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (isIobError(err)) {
      process.stderr.write(`iob: ${err.message}\n`);
      // A problem the message already spells out (a file's line and reason) is not printed a second time.
      for (const p of err.problems) if (!err.message.includes(p.message)) process.stderr.write(`  ${p.path || '(input)'}: ${p.message}\n`);
      process.exit(2);
    }
    if (isNatsConnectError(err)) {
      process.stderr.write(`iob: cannot connect to NATS (${err.code === 'CONNECTION_REFUSED' ? 'connection refused' : err.code}): is the server named by --nats-url, --nats or NATS_URL running?\n`);
      process.exit(1);
    }
    const dns = err as { code?: unknown; syscall?: unknown; hostname?: unknown } | undefined;
    if (dns?.syscall === 'getaddrinfo') {
      // a server address whose host does not resolve (a typo in --nats-url, --nats or NATS_URL)
      process.stderr.write(`iob: cannot resolve the host '${String(dns.hostname)}' (${String(dns.code)}): check the server address given by --nats-url, --nats or NATS_URL\n`);
      process.exit(1);
    }
    process.stderr.write(`iob: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  }
}

/** The nats client's refusal to connect: an error whose message is only its code (`CONNECTION_REFUSED`). */
function isNatsConnectError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof Error && err.name === 'NatsError' && (code === 'CONNECTION_REFUSED' || code === 'TIMEOUT');
}
