/** Flags shared by commands that read the engine configuration; they override the env vars. */
import type { Command } from 'commander';
import type { ConfigInput, Problem } from '../engine/index.ts';

/**
 * A whole-number option from `min` to `max`; otherwise a problem naming the flag joins `problems`, so a
 * command reports every bad option at once.
 */
export function wholeNumberFlag(problems: Problem[], flag: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text.trim()) || value < min || value > max) {
    problems.push({ path: flag, reason: 'invalid_number', message: `must be a whole number from ${min} to ${max}` });
  }
  return value;
}

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
