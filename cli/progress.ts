/** A progress bar on stderr when it is a terminal; a quiet counter otherwise (CI logs stay readable). */
import cliProgress from 'cli-progress';

export interface Progress {
  increment(n?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(label: string, unit: string, total = 0): Progress {
  if (!process.stderr.isTTY) {
    let count = 0;
    return { increment: (n = 1) => void (count += n), setTotal: () => undefined, stop: () => void count };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}${total ? '/{total}' : ''} ${unit} | {rate}/s | {duration_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total || 1, 0, { rate: 0 });
  return {
    increment(n = 1) {
      value += n;
      if (!total && value > bar.getTotal()) bar.setTotal(value * 2);
      bar.update(value, { rate: Math.round((value * 1000) / Math.max(1, Date.now() - started)) });
    },
    setTotal(t: number) {
      total = t;
      bar.setTotal(t);
    },
    stop: () => bar.stop(),
  };
}
