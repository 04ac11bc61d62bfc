/**
 * Sessions, maintained exactly under out-of-order events.
 *
 * Definition (the tests' reference implements the same): an event's session key is its `ssid`, or — when
 * it has none — its subject (the subject's "lane"). A key's accepted events, ordered by time, split into
 * sessions wherever two consecutive events are more than the gap (default 30 minutes) apart. A session
 * starts at its first event and ends at its last. Reading a key serves its latest session.
 *
 * Incrementally, each key keeps a short chain of segments, newest first, separated by more than the gap.
 * An event inside or within the gap of a segment extends it; one that bridges two segments merges them;
 * otherwise it opens a segment. Out-of-order events are bounded by the allowed lateness L, so a segment
 * ending before watermark − L − gap can never change again: older ones are dropped (they can no longer
 * be read either, only the latest can), and the latest one when its TTL has passed too.
 *
 * Sessions feed the subject's `session_starts` tiles: +1 at a new segment's start, and when a late event
 * moves a start earlier or a merge removes one, the old start is taken back out.
 */
import { BlockLists, type BlockListsState } from './block-lists.ts';
import type { EventColumns } from './event-columns.ts';
import { grownLength, KeyTable, type KeyTableState } from './key-table.ts';
import { addMember, type KeyedState } from './keyed-state.ts';
import type { KindPlan } from './plan.ts';
import { layOutLastAndAges, recordLastAndAges } from './last-and-age.ts';
import { RecordLayout, Records } from './records.ts';

const NONE = -1;
const NEVER = -Infinity;
const NS_SESSION = 0;
const NS_LANE = 1;

/** Prefix of a subject's lane key: a control character, so it can never be a session id. */
export const LANE_PREFIX = '\u0000';

/** The session key an event or a label refers to: its session id, else its subject's lane. */
export function sessionKey(subject: string, session?: string): string {
  return session === undefined || session === '' ? LANE_PREFIX + subject : session;
}

export interface SessionStateSnapshot {
  keys: KeyTableState;
  sweepCursor: number;
  head: Int32Array;
  segTop: number;
  freeSegs: number[];
  segments: Float64Array;
  members: BlockListsState[];
}

/** Where each field of a session segment lives, from the plan. */
class SegmentLayout {
  readonly start: number;
  readonly end: number;
  /** ints: [next segment of the key (older) or -1, owning subject slot] */
  readonly links: number;
  readonly floats: number;
  readonly ints: number;
  readonly lastValue: number[];
  readonly lastAt: number[];
  /** per plan.ages entry: a double, or -1 for "any type" (the session's last event) */
  readonly typedAt: number[];
  readonly memberRefs: number[];
  readonly stride: number;

  constructor(plan: KindPlan) {
    const l = new RecordLayout();
    this.start = l.double();
    this.end = l.double();
    this.links = l.intPair();
    this.floats = l.double();
    for (let c = 1; c < plan.lifetime.floats; c++) l.double();
    this.ints = l.ints(plan.lifetime.ints);
    ({ lastValue: this.lastValue, lastAt: this.lastAt, typedAt: this.typedAt } = layOutLastAndAges(plan, l));
    this.memberRefs = plan.distinct.map(() => l.intPair());
    this.stride = l.stride;
  }
}

export class SessionState {
  readonly keys: KeyTable;
  /** per key slot: its latest segment */
  private head: Int32Array;
  /** per key slot: how many keys it has held and lost (stampOf); not in snapshots, a restored store starts afresh */
  private reuses: Int32Array;
  private readonly layout: SegmentLayout;
  private readonly segs: Records;
  private segTop = 0;
  private freeSegs: number[] = [];
  private readonly members: BlockLists[];
  private sweepCursor = 0;

  constructor(
    readonly plan: KindPlan,
    readonly gapMs: number,
    readonly latenessMs: number,
    snapshot?: SessionStateSnapshot,
  ) {
    this.layout = new SegmentLayout(plan);
    if (snapshot) {
      this.keys = KeyTable.fromState(snapshot.keys);
      this.sweepCursor = snapshot.sweepCursor;
      this.head = new Int32Array(this.keys.slotCapacity).fill(NONE);
      this.head.set(snapshot.head);
      this.reuses = new Int32Array(this.keys.slotCapacity);
      this.segTop = snapshot.segTop;
      this.freeSegs = [...snapshot.freeSegs];
      this.segs = Records.fromState(this.layout.stride, snapshot.segments, snapshot.segTop);
      this.members = snapshot.members.map((m) => BlockLists.fromState(m, 0, 2));
    } else {
      this.keys = new KeyTable();
      this.head = new Int32Array(this.keys.slotCapacity).fill(NONE);
      this.reuses = new Int32Array(this.keys.slotCapacity);
      this.segs = new Records(this.layout.stride);
      this.members = plan.distinct.map(() => new BlockLists(0, 2));
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The latest session of a key (see sessionKey), or -1. */
  latest(key: string): number {
    const lane = key.charCodeAt(0) === 0;
    const slot = this.keys.find(lane ? key.slice(1) : key, lane ? NS_LANE : NS_SESSION);
    return slot < 0 ? NONE : this.head[slot]!;
  }

  endOf(seg: number): number {
    return this.segs.f[seg * this.segs.stride + this.layout.end]!;
  }

  /** Adds one accepted event to its session; keeps the subject's session starts in step. */
  apply(
    sid: string,
    ssid: string | undefined,
    ts: number,
    type: number,
    values: Float64Array,
    fieldIds: Int32Array,
    watermark: number,
    subjects: KeyedState,
    subjectSlot: number,
    known: number = NONE,
  ): number {
    const lane = ssid === undefined || ssid === '';
    const keySlot = known >= 0 ? known : this.keys.findOrInsert(lane ? sid : ssid!, lane ? NS_LANE : NS_SESSION);
    if (known < 0 && this.keys.inserted) {
      if (this.head.length < this.keys.slotCapacity) {
        const head = new Int32Array(this.keys.slotCapacity).fill(NONE);
        head.set(this.head);
        this.head = head;
        const reuses = new Int32Array(this.keys.slotCapacity);
        reuses.set(this.reuses);
        this.reuses = reuses;
      }
      this.head[keySlot] = NONE;
    }
    const gap = this.gapMs;
    const L = this.layout;
    const S = this.segs.stride;

    // Skip the segments that begin more than a gap after the event; `s` is then the only one it can
    // extend, and the next (older) one the only one it can also reach back to.
    let prev = NONE;
    let s = this.head[keySlot]!;
    while (s !== NONE && ts < this.segs.f[s * S + L.start]! - gap) {
      prev = s;
      s = this.segs.i[2 * (s * S) + L.links]!;
    }
    let seg: number;
    if (s === NONE || ts > this.segs.f[s * S + L.end]! + gap) {
      seg = this.allocSegment(subjectSlot);
      const f = this.segs.f;
      const i = this.segs.i;
      f[seg * S + L.start] = f[seg * S + L.end] = ts;
      i[2 * (seg * S) + L.links] = s;
      if (prev === NONE) this.head[keySlot] = seg;
      else i[2 * (prev * S) + L.links] = seg;
      subjects.addSessionStart(subjectSlot, ts, 1);
    } else {
      seg = s;
      const f = this.segs.f;
      const older = this.segs.i[2 * (s * S) + L.links]!;
      if (older !== NONE && ts <= f[older * S + L.end]! + gap) {
        // the event bridges two sessions: one session, one start fewer
        subjects.addSessionStart(subjectSlot, f[s * S + L.start]!, -1);
        this.absorb(s, older);
      }
      if (ts < f[s * S + L.start]!) {
        subjects.addSessionStart(subjectSlot, f[s * S + L.start]!, -1);
        subjects.addSessionStart(subjectSlot, ts, 1);
        f[s * S + L.start] = ts;
      }
      if (ts > f[s * S + L.end]!) f[s * S + L.end] = ts;
    }
    this.addEvent(seg, ts, type, values, fieldIds);
    this.dropFrozen(this.head[keySlot]!, watermark);
    return keySlot;
  }

  /**
   * A stamp of which key a slot holds: it changes whenever the slot's key is removed, so a caller that
   * remembered (slot, stamp) for a key may pass the slot to `apply` as `known` while `stillHolds` says so.
   */
  stampOf(slot: number): number {
    return this.reuses[slot]!;
  }

  stillHolds(slot: number, stamp: number): boolean {
    return this.keys.isLive(slot) && this.reuses[slot] === stamp;
  }

  /** Writes the plan's inputs for reading session `seg` at time t. */
  fillInputs(seg: number, t: number, inputs: Float64Array): void {
    const plan = this.plan;
    const L = this.layout;
    const f = this.segs.f;
    const i = this.segs.i;
    const base = seg * this.segs.stride;
    const { intSlots, floatSlots } = plan.lifetime;
    for (let c = 0; c < intSlots.length; c++) if (intSlots[c]! >= 0) inputs[intSlots[c]!] = i[2 * base + L.ints + c]!;
    for (let c = 0; c < floatSlots.length; c++) if (floatSlots[c]! >= 0) inputs[floatSlots[c]!] = f[base + L.floats + c]!;
    for (let k = 0; k < plan.distinct.length; k++) inputs[plan.distinct[k]!.slot] = this.members[k]!.length(i, 2 * base + L.memberRefs[k]!);
    for (let k = 0; k < plan.last.length; k++) inputs[plan.last[k]!.slot] = f[base + L.lastAt[k]!] === NEVER ? 0 : f[base + L.lastValue[k]!]!;
    for (let k = 0; k < plan.ages.length; k++) {
      const at = L.typedAt[k]! < 0 ? f[base + L.end]! : f[base + L.typedAt[k]!]!;
      inputs[plan.ages[k]!.slot] = at === NEVER ? -1 : t - at;
    }
    if (plan.spanSlot >= 0) inputs[plan.spanSlot] = f[base + L.end]! - f[base + L.start]!;
  }

  /** Removes the sessions of one subject: its lane and every session it owns. */
  purgeSubject(subject: string, subjectSlot: number): number {
    let removed = 0;
    const lane = this.keys.find(subject, NS_LANE);
    if (lane >= 0) removed += this.removeKey(lane);
    if (subjectSlot < 0) return removed;
    const S = this.segs.stride;
    const L = this.layout;
    for (let slot = 0; slot < this.keys.highWater; slot++) {
      if (!this.keys.isLive(slot)) continue;
      for (let s = this.head[slot]!; s !== NONE; s = this.segs.i[2 * (s * S) + L.links]!) {
        if (this.segs.i[2 * (s * S) + L.links + 1] === subjectSlot) {
          removed += this.removeKey(slot);
          break;
        }
      }
    }
    return removed;
  }

  /** Removes one session key and all its segments. */
  purgeKey(key: string): boolean {
    const lane = key.charCodeAt(0) === 0;
    const slot = this.keys.find(lane ? key.slice(1) : key, lane ? NS_LANE : NS_SESSION);
    if (slot < 0) return false;
    this.removeKey(slot);
    return true;
  }

  sweep(watermark: number, budget: number): number {
    const top = this.keys.highWater;
    if (top === 0) return 0;
    let removed = 0;
    for (let i = 0; i < budget; i++) {
      if (this.sweepCursor >= top) this.sweepCursor = 0;
      const slot = this.sweepCursor++;
      if (!this.keys.isLive(slot)) continue;
      const head = this.head[slot]!;
      if (watermark - this.endOf(head) > this.plan.retentionMs) removed += this.removeKey(slot);
      else this.dropFrozen(head, watermark);
    }
    return removed;
  }

  byteSize(): number {
    return this.keys.byteSize() + this.head.byteLength + this.reuses.byteLength + this.segs.f.byteLength + this.members.reduce((n, m) => n + m.byteSize(), 0);
  }

  snapshot(): SessionStateSnapshot {
    return {
      keys: this.keys.state(),
      sweepCursor: this.sweepCursor,
      head: this.head.subarray(0, this.keys.highWater),
      segTop: this.segTop,
      freeSegs: this.freeSegs,
      segments: this.segs.state(this.segTop),
      members: this.members.map((m) => m.state()),
    };
  }

  private addEvent(seg: number, ts: number, type: number, values: Float64Array, fieldIds: Int32Array): void {
    const plan = this.plan;
    const L = this.layout;
    const f = this.segs.f;
    const i = this.segs.i;
    const base = seg * this.segs.stride;
    const bit = 1 << type;
    const c = plan.lifetime.byType[type]!;
    for (let j = 0; j < c.intCol.length; j++) i[2 * base + L.ints + c.intCol[j]!]! += c.intSign[j]!;
    for (let j = 0; j < c.floatCol.length; j++) f[base + L.floats + c.floatCol[j]!]! += c.floatSign[j]! * values[c.floatValue[j]!]!;
    for (let k = 0; k < plan.distinct.length; k++) {
      const spec = plan.distinct[k]!;
      const id = fieldIds[spec.field]!;
      if (id >= 0 && spec.mask & bit) addMember(this.members[k]!, i, 2 * base + L.memberRefs[k]!, id, 0);
    }
    recordLastAndAges(plan, L, f, base, bit, ts, values);
  }

  /** Merges segment `older` (the next in the chain) into `seg` and frees it. */
  private absorb(seg: number, older: number): void {
    const L = this.layout;
    const f = this.segs.f;
    const i = this.segs.i;
    const S = this.segs.stride;
    const a = seg * S;
    const b = older * S;
    f[a + L.start] = f[b + L.start]!;
    i[2 * a + L.links] = i[2 * b + L.links]!;
    for (let c = 0; c < this.plan.lifetime.ints; c++) i[2 * a + L.ints + c]! += i[2 * b + L.ints + c]!;
    for (let c = 0; c < this.plan.lifetime.floats; c++) f[a + L.floats + c]! += f[b + L.floats + c]!;
    this.members.forEach((m, k) => {
      const from = 2 * b + L.memberRefs[k]!;
      const n = m.length(i, from);
      for (let r = 0; r < n; r++) addMember(m, i, 2 * a + L.memberRefs[k]!, m.ints[(m.start(i, from) + r) * 2]!, 0);
    });
    // Segments are more than a gap apart, so their last values never share a time.
    for (let k = 0; k < L.lastAt.length; k++) {
      if (f[b + L.lastAt[k]!]! > f[a + L.lastAt[k]!]!) {
        f[a + L.lastAt[k]!] = f[b + L.lastAt[k]!]!;
        f[a + L.lastValue[k]!] = f[b + L.lastValue[k]!]!;
      }
    }
    for (const at of L.typedAt) if (at >= 0 && f[b + at]! > f[a + at]!) f[a + at] = f[b + at]!;
    this.freeSegment(older);
  }

  /** Cuts the chain after the first segment (other than the latest) that no event can reach any more. */
  private dropFrozen(head: number, watermark: number): void {
    const frozenBefore = watermark - this.latenessMs - this.gapMs;
    const L = this.layout;
    const S = this.segs.stride;
    for (let s = head; s !== NONE; ) {
      const older = this.segs.i[2 * (s * S) + L.links]!;
      if (older !== NONE && this.segs.f[older * S + L.end]! < frozenBefore) {
        this.segs.i[2 * (s * S) + L.links] = NONE;
        for (let o = older; o !== NONE; ) {
          const next = this.segs.i[2 * (o * S) + L.links]!;
          this.freeSegment(o);
          o = next;
        }
        return;
      }
      s = older;
    }
  }

  private removeKey(slot: number): number {
    const L = this.layout;
    const S = this.segs.stride;
    for (let s = this.head[slot]!; s !== NONE; ) {
      const older = this.segs.i[2 * (s * S) + L.links]!;
      this.freeSegment(s);
      s = older;
    }
    this.head[slot] = NONE;
    this.reuses[slot]!++;
    this.keys.remove(slot);
    return 1;
  }

  private allocSegment(owner: number): number {
    let seg = this.freeSegs.pop();
    if (seg === undefined) {
      seg = this.segTop++;
      if (seg >= this.segs.capacity) this.segs.ensure(grownLength(this.segs.capacity));
    }
    const L = this.layout;
    const base = seg * this.segs.stride;
    this.segs.zero(seg);
    const f = this.segs.f;
    const i = this.segs.i;
    i[2 * base + L.links] = NONE;
    i[2 * base + L.links + 1] = owner;
    for (const at of L.lastAt) f[base + at] = NEVER;
    for (const at of L.typedAt) if (at >= 0) f[base + at] = NEVER;
    for (const at of L.memberRefs) i[2 * base + at] = NONE;
    return seg;
  }

  private freeSegment(seg: number): void {
    const i = this.segs.i;
    const base2 = 2 * seg * this.segs.stride;
    this.members.forEach((m, k) => m.clear(i, base2 + this.layout.memberRefs[k]!));
    i[base2 + this.layout.links + 1] = NONE;
    this.freeSegs.push(seg);
  }
}

/** Every session of a batch of events, as `assignSessions` finds them. */
export interface SessionAssignment {
  /** per event (input order): the index of its session */
  session: Int32Array;
  /** per session: its first and last event time, and its session key (see sessionKey) */
  start: Float64Array;
  end: Float64Array;
  key: string[];
  /** event indices grouped by session key, each key's in time order (ties: input order): a session's events are consecutive */
  order: Int32Array;
}

/**
 * The sessions of a whole batch of events at once, by the same definition the online state keeps
 * incrementally (see the top of this file): per session key, events in time order, split wherever two
 * consecutive events are more than `gapMs` apart. For offline work (training labels) where every event is
 * known; sessions are numbered in order of their key's first appearance, then time.
 */
export function assignSessions(events: EventColumns, gapMs: number): SessionAssignment {
  const n = events.length;
  const { ts } = events;
  // Session ids and subject lanes number apart: key k < sessions is session id k, else the lane of subject k − sessions.
  const sessionIds = events.sessions.size;
  const keyCount = sessionIds + events.subjects.size;
  const keyOf = (i: number) => (events.ssid[i]! >= 0 ? events.ssid[i]! : sessionIds + events.sid[i]!);
  // Group event indices by key (a counting sort, stable: input order within a key), keys in first-seen order.
  const counts = new Int32Array(keyCount + 1);
  const firstSeen: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    if (counts[k]!++ === 0) firstSeen.push(k);
  }
  const offsets = new Int32Array(keyCount + 1);
  for (let k = 0; k < keyCount; k++) offsets[k + 1] = offsets[k]! + counts[k]!;
  const order = new Int32Array(n);
  const fill = offsets.slice(0, keyCount);
  for (let i = 0; i < n; i++) order[fill[keyOf(i)]!++] = i;

  const session = new Int32Array(n);
  const start: number[] = [];
  const end: number[] = [];
  const key: string[] = [];
  for (const k of firstSeen) {
    const group = order.subarray(offsets[k]!, offsets[k + 1]!);
    let sorted = true;
    for (let j = 1; sorted && j < group.length; j++) sorted = ts[group[j - 1]!]! <= ts[group[j]!]!;
    if (!sorted) group.sort((a, b) => ts[a]! - ts[b]! || a - b);
    const name = k < sessionIds ? events.sessions.values[k]! : sessionKey(events.subjects.values[k - sessionIds]!);
    let last = -Infinity;
    for (const i of group) {
      const t = ts[i]!;
      if (t > last + gapMs) {
        start.push(t);
        end.push(t);
        key.push(name);
      }
      end[end.length - 1] = t;
      session[i] = start.length - 1;
      last = t;
    }
  }
  return { session, start: Float64Array.from(start), end: Float64Array.from(end), key, order };
}
