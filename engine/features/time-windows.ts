/**
 * Event-time windows and the tiles that hold them. This comment is the contract the tests' naive
 * reference implements; keep the two in step.
 *
 * ## Windows
 * Every window is a whole number of buckets aligned to the UTC epoch (bucket of a time x at resolution R
 * is floor(x / R)). At read time t an event with time ts is inside window w when
 *
 *     floor(ts / R_w) >= floor(t / R_w) - (n_w - 1)   and   ts <= t
 *
 * | window | resolution R_w | buckets n_w | covers                                      |
 * | ------ | -------------- | ----------- | ------------------------------------------- |
 * | 1h     | 5 minutes      | 12          | the current 5-minute bucket and the 11 before |
 * | 24h    | 1 hour         | 24          | the current hour and the 23 before          |
 * | 7d     | 1 UTC day      | 7           | today (UTC) and the 6 days before           |
 * | 30d    | 1 UTC day      | 30          | today (UTC) and the 29 days before          |
 *
 * So a window spans between (n_w - 1)·R_w and n_w·R_w before t, never more than its name: events at 10:00:00
 * and at 10:04:59 (one 5-minute bucket) both leave the 1h window when t reaches 11:00:00.
 *
 * ## Tiles
 * Aligned buckets let the store keep sums per tile instead of events. An entity's tiles are kept at three
 * resolutions (levels): 5-minute tiles while some 5-minute window may still need them, hour tiles, and day
 * tiles. Which level a time belongs to depends only on the entity's newest event time T (reads are never
 * earlier than T, see online-store.ts), so it is deterministic:
 *   - a tile stays at its level while its parent bucket (at the next coarser level in use) still overlaps
 *     the widest window of its level as seen at T; once the whole parent lies before that window it folds
 *     into the parent, because no read at or after T can tell its parts apart any more;
 *   - a tile of the coarsest level is dropped once it lies entirely before that level's widest window.
 * Levels that no window of an entity uses are skipped (item views have no 5-minute tiles).
 *
 * A tile is named by a code: (start of the tile in minutes since the epoch) × 4 + level. Codes sort by start
 * time, and "tile starts at or after the window start" is one integer comparison against the window's code.
 */

export const MINUTE = 60_000;
export const FIVE_MINUTES = 5 * MINUTE;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Tile resolutions, finest first; a level is an index into this list. */
export const LEVEL_MS = [FIVE_MINUTES, HOUR, DAY] as const;
export type Level = 0 | 1 | 2;

export const TILE_WINDOWS = ['1h', '24h', '7d', '30d'] as const;
export type TileWindow = (typeof TILE_WINDOWS)[number];

export interface WindowShape {
  level: Level;
  /** number of buckets at that level */
  buckets: number;
}

export const WINDOW_SHAPES: Readonly<Record<TileWindow, WindowShape>> = {
  '1h': { level: 0, buckets: 12 },
  '24h': { level: 1, buckets: 24 },
  '7d': { level: 2, buckets: 7 },
  '30d': { level: 2, buckets: 30 },
};

/** The first bucket (index at resolution bucketMs) a window of `buckets` buckets covers at read time t. */
export function firstBucket(t: number, bucketMs: number, buckets: number): number {
  return Math.floor(t / bucketMs) - (buckets - 1);
}

/** The tile code at which a window starts at read time t: tiles with a code at or above it are inside. */
export function windowStartCode(t: number, bucketMs: number, buckets: number): number {
  return ((firstBucket(t, bucketMs, buckets) * bucketMs) / MINUTE) * 4;
}

export function tileCode(startMs: number, level: Level): number {
  return (startMs / MINUTE) * 4 + level;
}

export function tileStartMs(code: number): number {
  return (code >> 2) * MINUTE;
}

/**
 * The tile levels one entity kind keeps, derived from the windows its features use: for each level in use,
 * the widest window (in buckets) at that level. Answers "at which level does time ts live, for an entity
 * whose newest event is at T" — the rule in the header comment.
 */
export class TileLevels {
  /** levels in use, finest first */
  readonly levels: readonly Level[];
  /** widest window in buckets, per entry of `levels` */
  readonly horizons: readonly number[];
  /** how far back (ms) from T the coarsest level still keeps tiles: the widest window's span */
  readonly spanMs: number;
  /** per entry of `levels`: its bucket length (ms), and code units per bucket (4 × minutes) */
  private readonly ms: Float64Array;
  private readonly codeScale: Float64Array;
  /** per level: its window start (ms), for an entity whose newest event is at startsFor */
  private readonly starts: Float64Array;
  private readonly startsFor: Float64Array;
  /** the finest-level bucket last asked for by a newest event: [finestStart, finestEnd) and its code */
  private finestStart = Number.NaN;
  private finestEnd = Number.NaN;
  private finestCode = -1;

  constructor(windows: Iterable<WindowShape>) {
    const horizon = new Map<Level, number>();
    for (const w of windows) horizon.set(w.level, Math.max(horizon.get(w.level) ?? 0, w.buckets));
    this.levels = [...horizon.keys()].sort((a, b) => a - b);
    this.horizons = this.levels.map((l) => horizon.get(l)!);
    const last = this.levels.length - 1;
    this.spanMs = last < 0 ? 0 : this.horizons[last]! * LEVEL_MS[this.levels[last]!];
    this.ms = Float64Array.from(this.levels, (l) => LEVEL_MS[l]);
    this.codeScale = Float64Array.from(this.levels, (l) => (LEVEL_MS[l] / MINUTE) * 4);
    this.starts = new Float64Array(this.levels.length);
    this.startsFor = new Float64Array(this.levels.length).fill(Number.NaN);
  }

  get empty(): boolean {
    return this.levels.length === 0;
  }

  /**
   * Whether every time keeps its tile code (`codeFor`) when an entity's newest event moves from `before` to
   * `newest`. A level's test compares the tile's parent bucket with the level's window start, so codes can
   * only change when some level's window start crosses a bucket of the level above it (for the coarsest
   * level, one of its own): much rarer than the finest level's step at which tidying is considered.
   */
  sameCodes(before: number, newest: number): boolean {
    const { ms, horizons } = this;
    const last = this.levels.length - 1;
    for (let i = 0; i <= last; i++) {
      const unit = ms[i < last ? i + 1 : i]!;
      const a = firstBucket(before, ms[i]!, horizons[i]!) * ms[i]!;
      const b = firstBucket(newest, ms[i]!, horizons[i]!) * ms[i]!;
      if (Math.floor(a / unit) !== Math.floor(b / unit)) return false;
    }
    return true;
  }

  /** tileCode(bucket × ms, level) of entry i of `levels`, without a division: a bucket is a whole number of minutes. */
  private bucketCode(i: number, bucket: number): number {
    return bucket * this.codeScale[i]! + this.levels[i]!;
  }

  /** The code of the tile that holds time `ts` for an entity whose newest event is at `newest`, or -1 (dropped). */
  codeFor(ts: number, newest: number): number {
    // The newest event is always in a finest-level tile (its own window start lies before its parent's
    // end): the usual case, answered from the finest bucket at hand, which events in time order share.
    if (ts === newest && this.levels.length > 0) {
      if (!(ts >= this.finestStart && ts < this.finestEnd)) {
        const bucket = Math.floor(ts / this.ms[0]!);
        this.finestStart = bucket * this.ms[0]!;
        this.finestEnd = this.finestStart + this.ms[0]!;
        this.finestCode = this.bucketCode(0, bucket);
      }
      return this.finestCode;
    }
    const { levels, ms, starts, startsFor } = this;
    const last = levels.length - 1;
    for (let i = 0; i <= last; i++) {
      // A level's window start depends on `newest` only, and is computed when first needed for it: an event
      // usually needs the finest level's alone, tidying asks for every tile of one entity in a row.
      if (startsFor[i] !== newest) {
        starts[i] = firstBucket(newest, ms[i]!, this.horizons[i]!) * ms[i]!;
        startsFor[i] = newest;
      }
      if (i < last) {
        const parentMs = ms[i + 1]!;
        if ((Math.floor(ts / parentMs) + 1) * parentMs > starts[i]!) return this.bucketCode(i, Math.floor(ts / ms[i]!));
      } else {
        const bucket = Math.floor(ts / ms[i]!);
        return bucket * ms[i]! >= starts[i]! ? this.bucketCode(i, bucket) : -1;
      }
    }
    return -1;
  }
}
