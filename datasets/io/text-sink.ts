/**
 * A text file being written: buffered, gzipped when the name ends in `.gz`, with backpressure. Bytes can be
 * written too (a binary format's encoder output, e.g. an Arrow IPC file), in order with the text.
 *
 * The file appears under its name only when `close()` succeeds. Until then it is written to a temporary
 * name beside it, so an interrupted run never leaves a truncated file that a later step would read as
 * complete (for plain CSV or JSONL, truncation is otherwise undetectable).
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { isGzipPath } from './text-lines.ts';

export interface TextSink {
  /**
   * Appends text. Returns a promise that is already resolved unless the disk (or gzip) is behind, in
   * which case it resolves when the output drained: `await` it and memory stays bounded.
   */
  write(text: string): Promise<void>;
  /** Appends bytes after the text written so far, with the same backpressure. */
  writeBytes(bytes: Uint8Array): Promise<void>;
  /** Flushes, finishes the file and moves it under its final name. */
  close(): Promise<void>;
  /** Stops and removes the partial file. Safe to call after a failure. */
  abort(): Promise<void>;
}

/** Text is collected into chunks of about this size before it reaches the stream: one write per chunk. */
const FLUSH_CHARS = 1 << 18;
const READY: Promise<void> = Promise.resolve();

/** Opens at once (synchronously creating missing folders); a failure to open surfaces on write or close. */
export function openTextSink(path: string): TextSink {
  mkdirSync(dirname(path), { recursive: true });
  const temporaryPath = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.partial`);
  const file = createWriteStream(temporaryPath);
  const gzip = isGzipPath(path) ? createGzip() : undefined;
  const head: Writable = gzip ?? file;
  const finished = gzip ? pipeline(gzip, file) : once(file, 'close').then(() => undefined);

  let failure: unknown;
  const fail = (err: unknown) => {
    // A write's error (a full disk) names no file: name the one being written, so the caller can say which
    // output failed (cli/output-error.ts recognises it by its path).
    const e = err as NodeJS.ErrnoException | undefined;
    if (e && typeof e === 'object' && typeof e.code === 'string' && e.path === undefined) e.path = temporaryPath;
    failure ??= err;
  };
  finished.catch(fail);
  file.on('error', fail);

  let pending: string[] = [];
  let pendingChars = 0;
  let state: 'open' | 'closed' | 'aborted' = 'open';

  async function waitForDrain(): Promise<void> {
    // 'drain' never comes if the stream failed meanwhile; `finished` settles in that case.
    await Promise.race([once(head, 'drain'), finished]);
    if (failure !== undefined) throw failure;
  }

  /** Why a write cannot be taken now (the stream failed, or the sink was closed), as the rejection to return. */
  function refusal(): Promise<void> | undefined {
    if (failure !== undefined) return Promise.reject(failure);
    if (state !== 'open') return Promise.reject(new Error(`write after ${state}: ${path}`));
    return undefined;
  }

  function flush(): Promise<void> {
    if (pendingChars === 0) return READY;
    const chunk = pending.join('');
    pending = [];
    pendingChars = 0;
    return head.write(chunk) ? READY : waitForDrain();
  }

  return {
    write(text) {
      const refused = refusal();
      if (refused) return refused;
      pending.push(text);
      pendingChars += text.length;
      return pendingChars >= FLUSH_CHARS ? flush() : READY;
    },

    writeBytes(bytes) {
      const refused = refusal();
      if (refused) return refused;
      // The text goes first; when it fills the stream's buffer, so do the bytes queued behind it, and the
      // one drain awaited below covers both (a failure is kept in `failure` and surfaces there or on close).
      flush().catch(() => undefined);
      return head.write(bytes) ? READY : waitForDrain();
    },

    async close() {
      if (state !== 'open') throw new Error(`close after ${state}: ${path}`);
      state = 'closed';
      try {
        await flush();
        head.end();
        await finished;
        if (failure !== undefined) throw failure;
        await rename(temporaryPath, path);
      } catch (err) {
        await rm(temporaryPath, { force: true });
        throw err;
      }
    },

    async abort() {
      if (state === 'aborted') return;
      state = 'aborted';
      pending = [];
      head.destroy();
      file.destroy();
      await finished.catch(() => undefined);
      await rm(temporaryPath, { force: true });
    },
  };
}
