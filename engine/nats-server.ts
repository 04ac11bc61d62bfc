/**
 * Runs a real nats-server as a child process: the embedded broker of `iob start` and the test harness.
 * The child is wrapped in a tiny shell watchdog that kills nats-server when our stdin pipe closes, so the
 * broker dies with its parent even on SIGKILL (Node has no PR_SET_PDEATHSIG).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface NatsServerOptions {
  /** JetStream store dir; created when missing. */
  storeDir: string;
  /** 0 (default) lets the server pick a free port. */
  port?: number;
  host?: string;
  serverName?: string;
  /** Extra command-line arguments (cluster routes, config file …). */
  args?: string[];
  readyTimeoutMs?: number;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** nats-server's own log lines (bounded), for diagnostics. */
  readonly log: string[];
  stop(): Promise<void>;
  /** Kill without a graceful shutdown, as a crash would. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

export const NATS_INSTALL_HINT =
  'nats-server was not found. On Debian/Ubuntu: `apt-get update && apt-get install -y nats-server`; ' +
  'elsewhere download a release from the nats-server project, put it on PATH or set NATS_SERVER_BIN, ' +
  'or point NATS_URL at a running server.';

export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NATS_SERVER_BIN) return env.NATS_SERVER_BIN;
  const dirs = [...(env.PATH ?? '').split(delimiter), ...SEARCH_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" </dev/null &',
  'p=$!',
  'echo "watchdog-pid $p" >&2',
  '{ cat <&3 >/dev/null; kill -TERM $p 2>/dev/null; } &',
  'w=$!',
  'wait $p',
  's=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('\n');

export async function startNatsServer(options: NatsServerOptions): Promise<NatsServer> {
  const bin = findNatsServer();
  if (!bin) throw new Error(NATS_INSTALL_HINT);
  mkdirSync(options.storeDir, { recursive: true, mode: 0o700 });
  const host = options.host ?? '127.0.0.1';
  const args = [
    '-a', host,
    '-p', String(options.port && options.port > 0 ? options.port : -1),
    '-js',
    '-sd', options.storeDir,
    '-n', options.serverName ?? `iob-${process.pid}-${Date.now().toString(36)}`,
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, bin, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  const log: string[] = [];
  let natsPid = 0;
  let port = 0;
  let buffered = '';

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`nats-server did not become ready in ${options.readyTimeoutMs ?? 10_000} ms:\n${log.join('\n')}`)),
      options.readyTimeoutMs ?? 10_000,
    );
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (log.length < 500) log.push(line);
        const pidMatch = /^watchdog-pid (\d+)/.exec(line);
        if (pidMatch) natsPid = Number(pidMatch[1]);
        const portMatch = /Listening for client connections on [^\s]+:(\d+)/.exec(line);
        if (portMatch) port = Number(portMatch[1]);
        if (/Server is ready/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (code ${code}) before it was ready:\n${log.join('\n')}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.stdin?.end();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      child.stdin?.end();
      const timer = setTimeout(() => {
        try {
          if (natsPid) process.kill(natsPid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const kill = async () => {
    try {
      if (natsPid) process.kill(natsPid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
  };
  return {
    url: `nats://${host}:${port}`,
    port,
    pid: natsPid,
    log,
    stop,
    kill,
    exited,
    [Symbol.asyncDispose]: stop,
  };
}
