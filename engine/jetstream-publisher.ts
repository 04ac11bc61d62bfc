/**
 * Pipelined JetStream publishing. nats.js's `js.publish` makes every message a full request (its own
 * timer and bookkeeping): measured here at ~16k msgs/s. This publisher sends plain NATS publishes with
 * reply subjects under one wildcard inbox subscription and matches the stream's acks by a counter, with
 * one timeout sweep for all — ~72k msgs/s on the same machine (bench/ingest.bench.ts). The semantics are
 * JetStream's own: a message counts as stored only when its PubAck arrived; `Nats-Msg-Id` dedupes.
 */
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'no_responders' | 'rejected' | 'closed',
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

export interface PublishOptions {
  msgId?: string;
  /** Reject the ack unless it comes from this stream. */
  expectStream?: string;
}

export interface JetStreamPublisher {
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PubAck>;
  readonly inflight: number;
  close(): void;
}

export function createJetStreamPublisher(nc: NatsConnection, timeoutMs = 5000): JetStreamPublisher {
  const prefix = createInbox('_IOB_ACK');
  const pending = new Map<number, Pending>();
  let counter = 0;
  // Deadlines are read by the sweep below, every timeout/4 at most: a clock it refreshes is as exact as that
  // check, and spares a Date.now() per message.
  let now = Date.now();

  const sub: Subscription = nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err) return;
      const id = Number(msg.subject.slice(prefix.length + 1));
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      if (msg.headers?.code === 503) {
        entry.reject(new PublishError('no stream is listening on this subject', 'no_responders'));
        return;
      }
      const ack = readPubAck(msg.data);
      if (typeof ack === 'string') entry.reject(new PublishError(ack, 'rejected'));
      else entry.resolve(ack);
    },
  });

  // While the connection is down, fail fast instead of holding callers for the ack timeout: whatever was
  // in flight may or may not have been stored, and the caller's retry with the same ids dedupes either way.
  let down = false;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        down = true;
        for (const entry of pending.values()) entry.reject(new PublishError('lost the connection to the event store', 'closed'));
        pending.clear();
      } else if (status.type === 'reconnect') {
        down = false;
      }
    }
  })().catch(() => undefined);

  const sweep = setInterval(() => {
    now = Date.now();
    for (const [id, entry] of pending) {
      if (entry.deadline <= now) {
        pending.delete(id);
        entry.reject(new PublishError('no acknowledgement from the stream in time', 'timeout'));
      }
    }
  }, Math.max(50, Math.min(500, timeoutMs / 4)));
  sweep.unref();

  return {
    publish(subject, data, options = {}) {
      if (nc.isClosed()) return Promise.reject(new PublishError('connection closed', 'closed'));
      if (down) return Promise.reject(new PublishError('no connection to the event store (reconnecting)', 'closed'));
      return new Promise<PubAck>((resolve, reject) => {
        const h = jetStreamHeaders(options);
        const id = ++counter;
        pending.set(id, { resolve, reject, deadline: now + timeoutMs });
        try {
          nc.publish(subject, data, h ? { reply: `${prefix}.${id}`, headers: h } : { reply: `${prefix}.${id}` });
        } catch (err) {
          pending.delete(id);
          reject(new PublishError((err as Error).message, 'closed'));
        }
      });
    },
    get inflight() {
      return pending.size;
    },
    close() {
      clearInterval(sweep);
      sub.unsubscribe();
      for (const entry of pending.values()) entry.reject(new PublishError('publisher closed', 'closed'));
      pending.clear();
    },
  };
}

/**
 * The publish headers as wire bytes. nats.js reads a message's headers only through `encode()` when it
 * publishes (nats-base-client/protocol.js); its MsgHdrsImpl would canonicalize and scan keys through a Map
 * on every set — per message, at tens of thousands per second, for two fixed keys. The bytes are put
 * together from fixed parts and the id's characters (an id is a pseudonym or a client's ASCII id; other
 * text takes Buffer.from). Values are validated as nats.js would (no CR/LF, which would end the header
 * block).
 */
export function jetStreamHeaders(options: PublishOptions): MsgHdrs | undefined {
  const { msgId, expectStream } = options;
  if (!msgId && !expectStream) return undefined;
  const id = msgId ? headerValue(msgId) : '';
  const stream = expectStream ? headerValue(expectStream) : '';
  const tail = expectStream ? streamTail(stream) : HEADERS_END;
  const head = msgId ? MSG_ID_HEAD : NATS_HEAD;
  const bytes = new Uint8Array(head.length + id.length + (msgId ? 2 : 0) + tail.length);
  bytes.set(head);
  let at = head.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) return new EncodedHeaders(Buffer.from(headersText(msgId ? id : undefined, expectStream ? stream : undefined), 'utf8')) as unknown as MsgHdrs;
    bytes[at++] = c;
  }
  if (msgId) {
    bytes[at++] = 0x0d;
    bytes[at++] = 0x0a;
  }
  bytes.set(tail, at);
  return new EncodedHeaders(bytes) as unknown as MsgHdrs;
}

/** The same block as text; undefined leaves a line out. */
function headersText(id: string | undefined, stream: string | undefined): string {
  let text = 'NATS/1.0\r\n';
  if (id !== undefined) text += `Nats-Msg-Id: ${id}\r\n`;
  if (stream !== undefined) text += `Nats-Expected-Stream: ${stream}\r\n`;
  return `${text}\r\n`;
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const NATS_HEAD = ascii('NATS/1.0\r\n');
const MSG_ID_HEAD = ascii('NATS/1.0\r\nNats-Msg-Id: ');
const HEADERS_END = ascii('\r\n');
/** The Nats-Expected-Stream line and the headers' end, per stream name (one in practice: IOB_EVENTS). */
const streamTails = new Map<string, Uint8Array>();
function streamTail(stream: string): Uint8Array {
  let tail = streamTails.get(stream);
  if (tail === undefined) {
    tail = new Uint8Array(Buffer.from(`Nats-Expected-Stream: ${stream}\r\n\r\n`, 'utf8'));
    if (streamTails.size < 16) streamTails.set(stream, tail);
  }
  return tail;
}

/** A class rather than an object literal: a per-message closure would cost more than the encoding. */
class EncodedHeaders {
  constructor(private readonly bytes: Uint8Array) {}
  encode(): Uint8Array {
    return this.bytes;
  }
}

function headerValue(value: string): string {
  if (value.includes('\r') || value.includes('\n')) throw new Error('invalid header value - \\r and \\n are not allowed');
  return value.trim();
}

/**
 * PubAcks are tiny fixed-shape JSON ({"stream":"S","seq":12[,"duplicate":true]}); reading them with a
 * pattern instead of JSON.parse matters at tens of thousands per second. Anything else goes through
 * JSON.parse. Returns the ack, or an error message.
 */
const PUB_ACK = /^\{"stream":"([^"]+)",(?:"domain":"[^"]*",)?"seq":(\d+)(,"duplicate":true)?\}$/;

/**
 * `parsePubAck` on the ack's bytes: the usual shape, {"stream":"S","seq":N} with an optional
 * "duplicate":true, is read from the bytes without decoding them to text first; anything else (a domain,
 * an error, other spacing) goes through the text path.
 */
export function readPubAck(data: Uint8Array): PubAck | string {
  const n = data.length;
  let at = STREAM_KEY.length;
  if (n < at + 10) return parsePubAck(textDecoder.decode(data));
  for (let i = 0; i < at; i++) if (data[i] !== STREAM_KEY[i]) return parsePubAck(textDecoder.decode(data));
  const nameStart = at;
  while (at < n && data[at] !== 0x22 && data[at]! < 0x80 && data[at] !== 0x5c) at++;
  if (at === nameStart || data[at] !== 0x22) return parsePubAck(textDecoder.decode(data));
  const nameEnd = at++;
  for (let i = 0; i < SEQ_KEY.length; i++, at++) if (data[at] !== SEQ_KEY[i]) return parsePubAck(textDecoder.decode(data));
  const digits = at;
  let seq = 0;
  while (at < n && data[at]! >= 0x30 && data[at]! <= 0x39) seq = seq * 10 + (data[at++]! - 0x30);
  if (at === digits || at - digits > 15) return parsePubAck(textDecoder.decode(data));
  let duplicate = false;
  if (data[at] === 0x2c) {
    for (let i = 0; i < DUPLICATE_TAIL.length; i++, at++) if (data[at] !== DUPLICATE_TAIL[i]) return parsePubAck(textDecoder.decode(data));
    duplicate = true;
  }
  if (at !== n - 1 || data[at] !== 0x7d) return parsePubAck(textDecoder.decode(data));
  return { stream: latin1(data, nameStart, nameEnd), seq, duplicate };
}

const textDecoder = new TextDecoder();
const STREAM_KEY = ascii('{"stream":"');
const SEQ_KEY = ascii(',"seq":');
const DUPLICATE_TAIL = ascii(',"duplicate":true');
/** The stream names seen (one in practice): a name is read back as the same string, not a new one per ack. */
let lastName = '';
let lastNameBytes = new Uint8Array(0);
function latin1(data: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === lastNameBytes.length) {
    let same = true;
    for (let i = 0; i < len && same; i++) same = data[start + i] === lastNameBytes[i];
    if (same) return lastName;
  }
  lastNameBytes = data.slice(start, end);
  lastName = String.fromCharCode(...lastNameBytes);
  return lastName;
}

export function parsePubAck(text: string): PubAck | string {
  const m = PUB_ACK.exec(text);
  if (m) return { stream: m[1]!, seq: Number(m[2]), duplicate: m[3] !== undefined };
  try {
    const body = JSON.parse(text) as Partial<PubAck> & { error?: { description?: string } };
    if (body.error) return `stream rejected the message: ${body.error.description ?? 'unknown error'}`;
    if (typeof body.seq === 'number' && typeof body.stream === 'string') return { stream: body.stream, seq: body.seq, duplicate: Boolean(body.duplicate) };
  } catch {
    /* fall through */
  }
  return 'unreadable publish acknowledgement';
}
