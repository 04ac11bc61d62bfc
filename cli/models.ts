/**
 * `iob models list|promote|rollback` — the model registry (models/registry.ts) from the command line.
 * Serving watches each task's SERVING.json and swaps to a promoted version without a restart, so promote
 * and rollback take effect on a running `iob start` within about a second.
 *
 * Registry problems (unknown version, nothing to roll back to, a malformed pointer) are RegistryErrors:
 * printed as one clear line on stderr, exit code 2.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { listVersions, promote, rollback, RegistryError, type VersionInfo } from '../models/registry.ts';

export const DEFAULT_TASK = 'intent';
/** The tasks the engine trains and serves (registry folders of these names). */
const MODEL_TASKS = ['intent', 'offers', 'forecast'] as const;

/** A task named on the command line, checked: an unknown one would only find "no versions" or "no pointer". */
function knownTask(task: string): string {
  if (!(MODEL_TASKS as readonly string[]).includes(task)) throw new RegistryError(`unknown task '${task}': one of ${MODEL_TASKS.join(', ')}`);
  return task;
}

interface RegistryFlags {
  registry?: string;
  dataDir: string;
  json?: boolean;
  task?: string;
}

export function register(program: Command, say: (line: string) => void = (line) => process.stdout.write(line + '\n')) {
  const models = program.command('models').description('list trained model versions, promote one to serving, roll back');
  const common = (command: Command) =>
    command
      .option('--registry <dir>', 'model registry (default: <data dir>/models)')
      .option('--data-dir <dir>', 'data dir (IOB_DATA_DIR)', process.env.IOB_DATA_DIR ?? './.iob')
      .option('--json', 'print the result as JSON');

  common(models.command('list').description('every version of every task, with created-at, metrics beside baselines, and which one serves'))
    .option('--task <task>', 'only this task (intent, forecast …)')
    .action((opts: RegistryFlags) =>
      guarded(async () => {
        const root = registryRoot(opts);
        const tasks = opts.task ? [knownTask(opts.task)] : await taskNames(root);
        const rows: Array<VersionInfo & { task: string }> = [];
        for (const task of tasks) for (const info of await listVersions(root, task)) rows.push({ task, ...info });
        if (opts.json) return say(JSON.stringify(rows.map(({ dir: _dir, ...row }) => row)));
        if (rows.length === 0) return say(`no model versions in ${root} (train one with: iob train intent …)`);
        say(`registry ${root}`);
        for (const row of rows) say(formatRow(row));
      }),
    );

  common(
    models
      .command('promote')
      .description('serve <version> (a running engine swaps to it without a restart); `promote <task> <version>` also works')
      .argument('<version>', 'version to serve (or the task, followed by the version)')
      .argument('[version]', 'version, when the first argument names the task'),
  )
    .option('--task <task>', 'task the version belongs to (default: the task whose folder holds it)')
    .action((first: string, second: string | undefined, opts: RegistryFlags) =>
      guarded(async () => {
        const root = registryRoot(opts);
        const version = second ?? first;
        const task = second !== undefined ? knownTask(first) : opts.task !== undefined ? knownTask(opts.task) : await taskOf(root, version);
        const pointer = await promote(root, task, version);
        if (opts.json) return say(JSON.stringify({ task, ...pointer }));
        say(`${task}: ${pointer.version} now serves${pointer.previous[0] ? ` (was ${pointer.previous[0]}; undo with: iob models rollback --task ${task})` : ''}`);
      }),
    );

  common(models.command('rollback').description('serve the version that served before the current one').argument('[task]', 'task', undefined))
    .option('--task <task>', `task to roll back (default: ${DEFAULT_TASK})`)
    .action((taskArg: string | undefined, opts: RegistryFlags) =>
      guarded(async () => {
        const root = registryRoot(opts);
        const task = knownTask(taskArg ?? opts.task ?? DEFAULT_TASK);
        const pointer = await rollback(root, task);
        if (opts.json) return say(JSON.stringify({ task, ...pointer }));
        say(`${task}: rolled back; ${pointer.version} now serves`);
      }),
    );
}

function registryRoot(opts: RegistryFlags): string {
  return resolve(opts.registry ?? join(opts.dataDir, 'models'));
}

/** Task folders of the registry (every visible sub-folder; versions live one level down). */
async function taskNames(root: string): Promise<string[]> {
  try {
    return (await readdir(root, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The one task whose folder holds `version`. */
async function taskOf(root: string, version: string): Promise<string> {
  const holders: string[] = [];
  for (const task of await taskNames(root)) if ((await listVersions(root, task)).some((v) => v.version === version)) holders.push(task);
  if (holders.length === 1) return holders[0]!;
  if (holders.length === 0) throw new RegistryError(`no version ${version} in ${root} (see: iob models list)`);
  throw new RegistryError(`version ${version} exists for several tasks (${holders.join(', ')}): name one with --task`);
}

/** `* intent 20261129T101500Z-ab12  2026-11-29T10:15:00Z  roc_auc 0.933 (prior 0.500, logreg 0.921) …` */
export function formatRow(row: VersionInfo & { task: string }): string {
  const mark = row.serving ? '*' : ' ';
  return `${mark} ${row.task.padEnd(9)} ${row.version.padEnd(28)} ${(row.createdAt ?? '(no card)').padEnd(24)} ${formatMetrics(row.metrics)}${row.serving ? '  ← serving' : ''}`;
}

/** Each numeric model metric beside the same metric of every baseline. */
export function formatMetrics(metrics: unknown): string {
  const m = metrics as { model?: Record<string, unknown>; baselines?: Record<string, Record<string, unknown>> } | undefined;
  if (!m?.model || typeof m.model !== 'object') return '';
  const baselines = Object.entries(m.baselines ?? {});
  const parts: string[] = [];
  for (const [name, value] of Object.entries(m.model)) {
    if (typeof value !== 'number') continue;
    const beside = baselines.filter(([, b]) => typeof b?.[name] === 'number').map(([b, v]) => `${b} ${fmt(v[name] as number)}`);
    parts.push(`${name} ${fmt(value)}${beside.length ? ` (${beside.join(', ')})` : ''}`);
  }
  return parts.join('; ');
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** RegistryError and a missing registry are the user's to fix: a clear line and exit code 2. */
async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof RegistryError) {
      process.stderr.write(`iob models: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
