/** Runs `iob start` as a real child process and reads what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

export const IOB_BIN = fileURLToPath(new URL('../../bin/iob.mjs', import.meta.url));

export interface RunningEngine {
  child: ChildProcess;
  url: string;
  natsUrl?: string;
  demoKey?: string;
  /** stdout + stderr so far */
  output(): string;
  exited: Promise<number | null>;
}

export async function startEngineProcess(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunningEngine> {
  const child = spawn(process.execPath, [IOB_BIN, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // IOB_TEST_ENGINE_LOG=<file>: every engine a test started appends its whole output there when it exits,
  // for reading a run that passed but took long (a failing test prints only what it picked).
  const logFile = process.env.IOB_TEST_ENGINE_LOG;
  if (logFile) void exited.then((code) => appendFileSync(logFile, `\n=== iob start ${args.join(' ')} (pid ${child.pid}, exit ${code})\n${out}`));
  const started = Date.now();
  while (!/listening on (http:\/\/\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`iob start exited early (${child.exitCode}):\n${out}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`iob start did not listen within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 100));
  return {
    child,
    url: /listening on (http:\/\/\S+)/.exec(out)![1]!,
    natsUrl: /NATS:\s+(nats:\/\/\S+)/.exec(out)?.[1],
    demoKey: /demo key:\s+(\S+)/.exec(out)?.[1],
    output: () => out,
    exited,
  };
}

/** Whether something accepts TCP connections at host:port. */
export function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A gauge or counter from a running engine's /metrics (-1 when absent). */
export async function readMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? -1);
}
