/** Looks for raw identifiers (canaries) in every file below a folder, byte for byte. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    return st.isDirectory() ? filesBelow(path) : st.isFile() ? [path] : [];
  });
}

/** Returns "file: canary" for every hit; a canary is searched as UTF-8 and as UTF-16LE bytes. */
export function scanForCanaries(dir: string, canaries: readonly string[]): string[] {
  const hits: string[] = [];
  const needles = canaries.flatMap((c) => [Buffer.from(c, 'utf8'), Buffer.from(c, 'utf16le')].map((b) => ({ c, b })));
  for (const file of filesBelow(dir)) {
    const bytes = readFileSync(file);
    for (const { c, b } of needles) if (bytes.includes(b)) hits.push(`${file}: ${c}`);
  }
  return hits;
}

export function textHits(text: string, canaries: readonly string[]): string[] {
  return canaries.filter((c) => text.includes(c));
}
