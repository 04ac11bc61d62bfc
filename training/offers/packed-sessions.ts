/**
 * Item sessions as a few flat arrays, for crossing to another thread: a structured clone of ~10^5 session
 * objects with four arrays each costs more than packing them, and the arrays can be transferred.
 */
import type { EventType } from '../../engine/index.ts';
import type { ItemSession } from './sessions.ts';

export interface PackedSessions {
  /** Session s's steps span `offsets[s] … offsets[s + 1]`. */
  offsets: Uint32Array;
  items: Int32Array;
  times: Float64Array;
  /** Index into `typeNames`. */
  types: Uint8Array;
  typeNames: EventType[];
  subjects: string[];
  starts: Float64Array;
  ends: Float64Array;
}

export function packSessions(sessions: readonly ItemSession[]): PackedSessions {
  let steps = 0;
  for (const s of sessions) steps += s.items.length;
  const offsets = new Uint32Array(sessions.length + 1);
  const items = new Int32Array(steps);
  const times = new Float64Array(steps);
  const types = new Uint8Array(steps);
  const typeNames: EventType[] = [];
  const typeCode = new Map<EventType, number>();
  const starts = new Float64Array(sessions.length);
  const ends = new Float64Array(sessions.length);
  let p = 0;
  sessions.forEach((s, i) => {
    starts[i] = s.start;
    ends[i] = s.end;
    for (let j = 0; j < s.items.length; j++, p++) {
      items[p] = s.items[j]!;
      times[p] = s.times[j]!;
      const type = s.types[j]!;
      let code = typeCode.get(type);
      if (code === undefined) typeCode.set(type, (code = typeNames.push(type) - 1));
      types[p] = code;
    }
    offsets[i + 1] = p;
  });
  return { offsets, items, times, types, typeNames, subjects: sessions.map((s) => s.subject), starts, ends };
}

export function unpackSessions(packed: PackedSessions): ItemSession[] {
  const { offsets, items, times, types, typeNames } = packed;
  return packed.subjects.map((subject, i) => {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    return {
      subject,
      start: packed.starts[i]!,
      end: packed.ends[i]!,
      items: Array.from(items.subarray(from, to)),
      times: Array.from(times.subarray(from, to)),
      types: Array.from(types.subarray(from, to), (t) => typeNames[t]!),
    };
  });
}

/** The packed arrays' buffers, for a transfer list (each array owns its buffer). */
export function packedBuffers(packed: PackedSessions): ArrayBuffer[] {
  return [packed.offsets, packed.items, packed.times, packed.types, packed.starts, packed.ends].map((a) => a.buffer as ArrayBuffer);
}
