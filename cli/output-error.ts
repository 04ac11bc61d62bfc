/**
 * File-system failures on a command's output file (`--out`), as validation errors naming the flag, the path
 * and the reason: a folder that cannot be made, a disk that is full. The writers (datasets/io/text-sink.ts)
 * create missing folders and write to a temporary name beside the file; their errors name those paths.
 */
import { basename, dirname, resolve, sep } from 'node:path';
import { IobError } from '../engine/index.ts';

/** `err` as an IobError naming `flag` when it is a file-system error about `out`; otherwise unchanged. */
export function outputFileError(flag: string, out: string, err: unknown): unknown {
  const { code, path, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code) || typeof path !== 'string' || !isAbout(path, out)) return err;
  const what = syscall === 'mkdir' ? `cannot create the folder ${dirname(out)}` : 'cannot write the file';
  const reason = `${what} (${(err as Error).message.replace(/, \w+ '.*'$/, '')})`;
  return new IobError('IOB_ERR_VALIDATION', `${flag} ${out}: ${reason}`, [{ path: flag, reason: code.toLowerCase(), message: reason }]);
}

/** Runs `open` (which opens the output synchronously), turning its failure into `outputFileError`. */
export function openOutput<T>(flag: string, out: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    throw outputFileError(flag, out, err);
  }
}

function isAbout(errorPath: string, out: string): boolean {
  const p = resolve(errorPath);
  const o = resolve(out);
  return p === o || o.startsWith(p + sep) || (dirname(p) === dirname(o) && basename(p).startsWith(`.${basename(o)}.`));
}
