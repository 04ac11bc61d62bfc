/**
 * A progress bar on stderr when it is a terminal, silence otherwise (CI logs and `--json` pipes stay
 * clean). The same behaviour as the CLI's bar; training cannot import from cli/ (rooms import downwards).
 */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  increment(n?: number, status?: string): void;
  stop(): void;
}

export function createProgressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { increment: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {status} | {duration_formatted}`, stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { status: '' });
  return {
    increment: (n = 1, status?: string) => bar.increment(n, status === undefined ? {} : { status }),
    stop: () => bar.stop(),
  };
}
