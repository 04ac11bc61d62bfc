/**
 * The folders a training run writes into (model registry, reports), made and checked before the run: a
 * path that cannot be written then fails in a second, naming its flag, instead of after minutes of
 * training — and never after a version was registered and promoted without its report.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { IobError, type Problem } from '../engine/index.ts';

export interface OutputFolder {
  /** the option that chose the folder (or whose default it is), for the message */
  flag: string;
  path: string;
}

export async function prepareOutputFolders(folders: readonly OutputFolder[]): Promise<void> {
  const problems: Problem[] = [];
  for (const { flag, path } of folders) {
    try {
      await mkdir(path, { recursive: true });
      await access(path, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      const cause = (err as Error).message.replace(/, \w+ '.*'$/, '');
      problems.push({ path: flag, reason: code.toLowerCase(), message: `${path}: cannot make or write the folder (${cause})` });
    }
  }
  if (problems.length > 0) {
    throw new IobError('IOB_ERR_VALIDATION', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  }
}
