/**
 * The model registry: a folder per task, a folder per trained version, and a pointer naming the version
 * that serves.
 *
 *   <root>/<task>/<version>/model.json, weights.bin, model-card.json
 *   <root>/<task>/SERVING.json   { version, previous: [older serving versions…], updatedAt }
 *
 * Both kinds of write are atomic on one filesystem: a version is written into a hidden temp folder and
 * renamed into place; the pointer is written to a temp file and renamed over the old one. A reader (serving
 * watching SERVING.json) therefore sees the old pointer or the new one, and a version folder whole or not
 * at all. Versions are never modified after registration; rollback moves the pointer, never the files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const POINTER_FILE = 'SERVING.json';
const CARD_FILE = 'model-card.json';
/** How many earlier serving versions the pointer remembers for rollback. */
const HISTORY = 20;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ServingPointer {
  version: string;
  /** Earlier serving versions, most recent first: where rollback goes. */
  previous: string[];
  updatedAt: string;
}

export interface VersionInfo {
  version: string;
  dir: string;
  serving: boolean;
  /** From the version's model card, when it has one. */
  createdAt?: string;
  metrics?: unknown;
}

export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new RegistryError(`${kind} name must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

export function taskDir(root: string, task: string): string {
  checkName('task', task);
  return join(root, task);
}

export function versionDir(root: string, task: string, version: string): string {
  checkName('version', version);
  return join(taskDir(root, task), version);
}

export function pointerPath(root: string, task: string): string {
  return join(taskDir(root, task), POINTER_FILE);
}

/** A sortable, unique version name: UTC time to the second, then a content tag (e.g. a weights hash). */
export function versionName(createdAt: Date, tag: string): string {
  const t = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${t}-${tag.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || 'v'}`;
}

/**
 * Registers a version: `write(dir)` fills a temp folder, which is then renamed to the version's folder.
 * Fails if the version exists (versions are immutable). Does not promote.
 */
export async function registerVersion(root: string, task: string, version: string, write: (dir: string) => Promise<void>): Promise<string> {
  const final = versionDir(root, task, version);
  if (await exists(final)) throw new RegistryError(`version ${version} of ${task} already exists`);
  const temp = join(taskDir(root, task), `.tmp-${version}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp, { recursive: true });
  try {
    await write(temp);
    await rename(temp, final);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return final;
}

export async function readPointer(root: string, task: string): Promise<ServingPointer | undefined> {
  let text: string;
  try {
    text = await readFile(pointerPath(root, task), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: Partial<ServingPointer>;
  try {
    value = JSON.parse(text) as Partial<ServingPointer>;
  } catch (err) {
    throw new RegistryError(`${pointerPath(root, task)} is not valid JSON (${(err as Error).message}): promote a version again to rewrite it`);
  }
  if (typeof value.version !== 'string' || !Array.isArray(value.previous)) throw new RegistryError(`${POINTER_FILE} of ${task} is malformed`);
  return { version: value.version, previous: value.previous.filter((v): v is string => typeof v === 'string'), updatedAt: String(value.updatedAt ?? '') };
}

/** The version that serves, if any has been promoted. */
export async function servingVersion(root: string, task: string): Promise<string | undefined> {
  return (await readPointer(root, task))?.version;
}

/** Every registered version, oldest first, with the serving one marked. */
export async function listVersions(root: string, task: string): Promise<VersionInfo[]> {
  const dir = taskDir(root, task);
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && NAME.test(e.name)).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const serving = await servingVersion(root, task);
  const infos = await Promise.all(
    names.sort().map(async (version): Promise<VersionInfo> => {
      const info: VersionInfo = { version, dir: join(dir, version), serving: version === serving };
      try {
        const card = JSON.parse(await readFile(join(dir, version, CARD_FILE), 'utf8')) as { createdAt?: unknown; metrics?: unknown };
        if (typeof card.createdAt === 'string') info.createdAt = card.createdAt;
        if (card.metrics !== undefined) info.metrics = card.metrics;
      } catch {
        // A version without a readable card is still listed; loading it will report why it fails.
      }
      return info;
    }),
  );
  return infos;
}

/** Makes `version` the serving one; the version it replaces becomes the first rollback target. */
export async function promote(root: string, task: string, version: string): Promise<ServingPointer> {
  if (!(await exists(versionDir(root, task, version)))) throw new RegistryError(`no version ${version} of ${task} in the registry`);
  const current = await readPointer(root, task);
  if (current?.version === version) return current;
  const previous = current ? [current.version, ...current.previous.filter((v) => v !== current.version && v !== version)] : [];
  return writePointer(root, task, { version, previous: previous.slice(0, HISTORY), updatedAt: new Date().toISOString() });
}

/** Points serving back at the version served before the current one. */
export async function rollback(root: string, task: string): Promise<ServingPointer> {
  const current = await readPointer(root, task);
  if (!current) throw new RegistryError(`no version of ${task} has been promoted; nothing to roll back`);
  const remaining = [...current.previous];
  while (remaining.length > 0) {
    const target = remaining.shift()!;
    // Skip versions deleted by hand since they served.
    if (await exists(versionDir(root, task, target))) {
      return writePointer(root, task, { version: target, previous: remaining, updatedAt: new Date().toISOString() });
    }
  }
  throw new RegistryError(`${task} has no earlier serving version to roll back to`);
}

async function writePointer(root: string, task: string, pointer: ServingPointer): Promise<ServingPointer> {
  const path = pointerPath(root, task);
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(taskDir(root, task), { recursive: true });
  await writeFile(temp, `${JSON.stringify(pointer, null, 2)}\n`);
  await rename(temp, path);
  return pointer;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface Registration {
  version: string;
  dir: string;
  /** Whether the new version now serves. */
  promoted: boolean;
  /** The version serving before this registration (undefined when none did). */
  previouslyServing?: string;
}

/**
 * Registers a new version and promotes it when asked, or by default when nothing serves yet: what every
 * `iob train <task>` does after evaluation. `describe` turns the outcome into the line training prints.
 */
export async function registerAndMaybePromote(
  root: string,
  task: string,
  version: string,
  write: (dir: string) => Promise<void>,
  promoteNew?: boolean,
): Promise<Registration> {
  const dir = await registerVersion(root, task, version, write);
  const previouslyServing = await servingVersion(root, task);
  const promoted = promoteNew ?? previouslyServing === undefined;
  if (promoted) await promote(root, task, version);
  return { version, dir, promoted, ...(previouslyServing !== undefined ? { previouslyServing } : {}) };
}

export function describeRegistration(root: string, task: string, r: Registration): string {
  return `registered ${task} ${r.version} in ${root}${r.promoted ? ' (now serving)' : `; serving stays ${r.previouslyServing} (promote with: iob models promote ${task} ${r.version})`}`;
}

/**
 * Loads the version the task's pointer names with `load`; `undefined` when none has been promoted. Serving
 * calls this at start and when SERVING.json changes, and keeps what it has if this throws (including when
 * the folder's card names another version).
 */
export async function loadServingVersion<T extends { card: { version: string } }>(root: string, task: string, load: (dir: string) => Promise<T>): Promise<T | undefined> {
  const version = await servingVersion(root, task);
  if (version === undefined) return undefined;
  const loaded = await load(versionDir(root, task, version));
  if (loaded.card.version !== version) throw new RangeError(`folder ${version} holds a model card for version ${loaded.card.version}`);
  return loaded;
}
