/**
 * Event ids seen in the last `windowMs` of event time, for reading a file as the stream would have taken
 * it: the engine's stream drops an event whose id it saw within its duplicate window (JetStream
 * `Nats-Msg-Id`, `IOB_DUPLICATE_WINDOW_MS`, 2 minutes by default), so a client's retry is counted once
 * online; a training set built from the client's log must count it once too. As online, an id that comes
 * back after the window is a new event.
 *
 * Memory follows the window, not the file: ids older than the newest event time minus the window go, oldest
 * first (a time-ordered file keeps a window's worth). A file far out of time order could keep many, so at
 * `maxIds` the oldest inserted go regardless; a duplicate that far behind is then counted twice.
 */
export class DuplicateIdWindow {
  private readonly seen = new Map<string, number>();
  // Ids in the order they were remembered, with their times: what to forget first. (Iterating the map
  // itself from its start would walk over every entry deleted since its last rehash: microseconds an event.)
  private order: string[] = [];
  private times: number[] = [];
  private head = 0;
  private newest = -Infinity;
  duplicates = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxIds = 1_000_000,
  ) {}

  /** Whether this event repeats an id seen within the window (counted in `duplicates`); else remembers it. */
  repeats(id: string, ts: number): boolean {
    const before = this.seen.get(id);
    if (before !== undefined && Math.abs(ts - before) <= this.windowMs) {
      this.duplicates++;
      return true;
    }
    if (ts > this.newest) this.newest = ts;
    this.seen.set(id, ts);
    this.order.push(id);
    this.times.push(ts);
    const cutoff = this.newest - this.windowMs;
    while (this.head < this.order.length && (this.times[this.head]! < cutoff || this.seen.size > this.maxIds)) {
      const old = this.order[this.head]!;
      // only if this is still the id's latest entry (an id remembered again later keeps its newer time)
      if (this.seen.get(old) === this.times[this.head]) this.seen.delete(old);
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return false;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.seen.size;
  }
}
