/**
 * Test harness: a real nats-server on a free port with a temp store dir, removed after the test whether
 * it passed or not (t.after), and killed with the test process if that dies (see engine/nats-server.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServer } from '../../engine/index.ts';

export function tempDir(t: TestContext | { after(fn: () => unknown): void }, prefix = 'iob-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startTestNats(t: TestContext | { after(fn: () => unknown): void }, args: string[] = []): Promise<NatsServer & { storeDir: string }> {
  if (!findNatsServer()) throw new Error(NATS_INSTALL_HINT);
  const storeDir = tempDir(t, 'iob-nats-');
  const server = await startNatsServer({ storeDir, args });
  t.after(() => server.stop());
  return Object.assign(server, { storeDir });
}
