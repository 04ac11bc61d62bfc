/** Flags shared by commands that read the engine configuration; they override the env vars. */
import type { Command } from 'commander';
import type { ConfigInput } from '../engine/index.ts';

export function configFlags(command: Command): Command {
  return command
    .option('--host <host>', 'HTTP host (IOB_HOST)')
    .option('--port <port>', 'HTTP port (IOB_PORT)')
    .option('--data-dir <dir>', 'data directory (IOB_DATA_DIR)')
    .option('--nats-url <url>', 'NATS server or cluster (NATS_URL); unset → embedded nats-server')
    .option('--log-level <level>', 'log level (IOB_LOG_LEVEL)');
}

export function flagOverrides(opts: Record<string, unknown>): ConfigInput {
  return { host: opts.host, port: opts.port, dataDir: opts.dataDir, natsUrl: opts.natsUrl, logLevel: opts.logLevel };
}
