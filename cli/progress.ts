/**
 * A progress bar on stderr when it is a terminal; a quiet counter otherwise (CI logs stay readable). When
 * the total is unknown (events read from a file) it is a running count and rate, not a bar: a bar whose
 * total grows with the count would fill and drop back again and again.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  increment(n?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgress(label: string, unit: string, total = 0, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    let count = 0;
    return { increment: (n = 1) => void (count += n), setTotal: () => undefined, stop: () => void count };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: total ? `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | {duration_formatted}` : `${label} {value} ${unit} | {rate}/s | {duration_formatted}`,
      stream,
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
      bar.update(value, { rate: Math.round((value * 1000) / Math.max(1, Date.now() - started)) });
    },
    setTotal(t: number) {
      total = t;
      bar.setTotal(t);
    },
    stop: () => bar.stop(),
  };
}
