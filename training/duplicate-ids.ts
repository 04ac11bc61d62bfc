/**
 * Event ids seen within `windowMs` of event time, for reading a file as the stream would have taken it: the
 * engine's stream drops an event whose id it saw within its duplicate window (JetStream `Nats-Msg-Id`,
 * `IOB_DUPLICATE_WINDOW_MS`, 2 minutes by default), so a client's retry is counted once online; a training
 * set built from the client's log must count it once too. As online, an id that comes back after the window
 * is a new event.
 *
 * Memory: while the file runs in time order (no event more than a window older than the newest so far), ids
 * older than the newest time minus the window can never match again and go, oldest first: a window's worth
 * is kept. Once the file is out of order (sorted by user, say), any remembered id may still match, so ids are
 * kept until `maxIds`, past which the oldest remembered go: a duplicate that far behind is counted twice.
 */
export class DuplicateIdWindow {
  /** id → the latest time it was remembered at */
  private readonly seen = new Map<string, number>();
  // Ids in the order they were remembered, with the time stored for them: what to forget first. (Iterating
  // the map itself from its start would walk over every entry deleted since its last rehash.)
  private order: string[] = [];
  private times: number[] = [];
  private head = 0;
  private newest = -Infinity;
  private inTimeOrder = true;
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
    if (ts < this.newest - this.windowMs) this.inTimeOrder = false;
    if (ts > this.newest) this.newest = ts;
    // An id reused far from its first time: both events are real; the later time is what a resend repeats.
    const at = before === undefined ? ts : Math.max(before, ts);
    this.seen.set(id, at);
    this.order.push(id);
    this.times.push(at);
    const cutoff = this.newest - this.windowMs;
    // The entry just remembered is the queue's last: neither loop reaches it (the cap is at least 1).
    while (this.head < this.order.length - 1 && ((this.inTimeOrder && this.times[this.head]! < cutoff) || this.seen.size > this.maxIds)) this.forgetHead();
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

  private forgetHead(): void {
    const old = this.order[this.head]!;
    // only if this is still the id's remembered entry (an id remembered again later keeps its newer one)
    if (this.seen.get(old) === this.times[this.head]) this.seen.delete(old);
    this.head++;
  }
}
