/**
 * A small synthetic session log for offers tests: subjects browse one of a few item clusters in order
 * (item i is mostly followed by item i + 1 of its cluster), a few sessions a day over `days` days, and now
 * and then return to an item they saw before. Seeded; written as a canonical CSV.
 */
import { writeFile } from 'node:fs/promises';
import { Rng } from '../../datasets/random.ts';

export interface SyntheticLogOptions {
  subjects?: number;
  days?: number;
  clusters?: number;
  clusterSize?: number;
  seed?: number;
}

export const SYNTHETIC_START = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const DAY = 86_400_000;

export function syntheticRows(options: SyntheticLogOptions = {}): string[] {
  const { subjects = 40, days = 4, clusters = 4, clusterSize = 12, seed = 7 } = options;
  const rng = new Rng(seed);
  const rows: string[] = [];
  let id = 0;
  for (let s = 0; s < subjects; s++) {
    const cluster = s % clusters;
    const seen: number[] = [];
    for (let day = 0; day < days; day++) {
      for (let k = 0; k < 2; k++) {
        let t = SYNTHETIC_START + day * DAY + (2 + k * 8) * 3_600_000 + rng.int(3_600_000);
        let item = cluster * clusterSize + rng.int(clusterSize);
        const length = 3 + rng.int(5);
        for (let step = 0; step < length; step++) {
          rows.push(`e${id++},${t},u${s},,${step === length - 1 && rng.chance(0.3) ? 'purchase' : 'view'},i${item},c${cluster},,`);
          seen.push(item);
          t += (1 + rng.int(5)) * MIN;
          item = rng.chance(0.15) && seen.length > 3 ? seen[rng.int(seen.length)]! : rng.chance(0.75) ? cluster * clusterSize + ((item % clusterSize) + 1) % clusterSize : cluster * clusterSize + rng.int(clusterSize);
        }
      }
    }
  }
  return rows;
}

export const CANONICAL_HEADER = 'id,ts,subject,session,type,item,category,price,quantity';

export async function writeSyntheticLog(path: string, options: SyntheticLogOptions = {}): Promise<void> {
  await writeFile(path, [CANONICAL_HEADER, ...syntheticRows(options)].join('\n') + '\n');
}
