/**
 * Secrets the engine creates for itself when the operator did not configure them: kept in the data dir
 * with mode 0600, created once, read back on every later start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiKeySchema, type ApiKey } from './config.ts';
import { IobError } from './errors.ts';

export function ensureDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // a file where the folder (or one above it) should be: name the setting, not mkdir's errno
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new IobError('IOB_ERR_CONFIG', `the data dir ${dataDir} is a file, not a folder: set IOB_DATA_DIR or --data-dir to a folder`, [
        { path: 'IOB_DATA_DIR', reason: 'not_a_directory', message: `${dataDir} is a file` },
      ]);
    }
    throw err;
  }
}

function readOrCreate(path: string, create: () => string): { value: string; created: boolean } {
  ensureDataDir(dirname(path));
  try {
    return { value: readFileSync(path, 'utf8').trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = create();
  // 'wx' fails if another process created it in between: then read theirs.
  try {
    writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { value: readFileSync(path, 'utf8').trim(), created: false };
    throw err;
  }
  chmodSync(path, 0o600);
  return { value, created: true };
}

export function ensurePseudonymKey(dataDir: string): string {
  return readOrCreate(join(dataDir, 'pseudonym.key'), () => randomBytes(32).toString('hex')).value;
}

/** The demo admin key `iob start` creates when IOB_API_KEYS is unset. */
export function ensureDemoApiKey(dataDir: string): { key: ApiKey; created: boolean; path: string } {
  const path = join(dataDir, 'api-keys.json');
  const { value, created } = readOrCreate(path, () =>
    JSON.stringify([{ id: 'demo-admin', key: `iob_${randomBytes(24).toString('base64url')}`, scopes: ['admin', 'ingest', 'score', 'forecast:read', 'consent'] }]),
  );
  const keys = ApiKeySchema.array().min(1).parse(JSON.parse(value));
  return { key: keys[0]!, created, path };
}
