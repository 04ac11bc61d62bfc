/** Reads IOB_EVENTS back: the keyed event ids it holds, and its last sequence. */
import { connect } from 'nats';
import { decodeEvent, EVENTS_STREAM } from '../../engine/index.ts';

export async function storedEventIds(natsUrl: string): Promise<{ eids: Set<string>; last: number; messages: number }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const last = (await (await nc.jetstreamManager()).streams.info(EVENTS_STREAM)).state.last_seq;
    const eids = new Set<string>();
    let messages = 0;
    if (last > 0) {
      const iterator = await (await nc.jetstream().consumers.get(EVENTS_STREAM)).consume();
      for await (const m of iterator) {
        eids.add(decodeEvent(m.data).eid);
        messages++;
        if (m.seq >= last) break;
      }
    }
    return { eids, last, messages };
  } finally {
    await nc.close();
  }
}
