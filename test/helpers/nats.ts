/**
 * Test harness: a real nats-server on a free port with a temp store dir, removed after the test whether
 * it passed or not (t.after), and killed with the test process if that dies (see engine/nats-server.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServer } from '../../engine/index.ts';

export type HasAfter = TestContext | { after(fn: () => unknown): void };
const stacks = new WeakMap<object, (() => unknown)[]>();

/**
 * Registers cleanup to run after the test, last registered first (node runs t.after hooks in the order
 * they were added, which would stop a broker before the clients that use it).
 */
export function defer(t: HasAfter, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const fresh: (() => unknown)[] = [];
    stacks.set(t, fresh);
    stack = fresh;
    t.after(async () => {
      while (fresh.length) await fresh.pop()!();
    });
  }
  stack.push(fn);
}

export function tempDir(t: HasAfter, prefix = 'iob-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestNats(t: HasAfter, args: string[] = []): Promise<NatsServer & { storeDir: string }> {
  if (!findNatsServer()) throw new Error(NATS_INSTALL_HINT);
  const storeDir = tempDir(t, 'iob-nats-');
  const server = await startNatsServer({ storeDir, args });
  defer(t, () => server.stop());
  return Object.assign(server, { storeDir });
}
