/** A real 3-node nats-server cluster (JetStream, routes on loopback) for tests, torn down afterwards. */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connect } from 'nats';
import { partitionMapping, startNatsServer, type NatsServer } from '../../engine/index.ts';
import { waitUntil } from './cli-process.ts';
import { defer, tempDir, type HasAfter } from './nats.ts';

export interface TestCluster {
  nodes: NatsServer[];
  /** every client URL, comma-separated (what NATS_URL takes) */
  urls: string;
  /** With `held`: starts the nodes held back (they join the running ones). */
  startHeld(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `held` nodes (the last ones) are configured and given ports but not started until `startHeld()`: a cluster
 * whose meta leader answers while it cannot yet place an asset on every node.
 */
export async function startTestCluster(t: HasAfter, options: { size?: number; partitions?: number; held?: number } = {}): Promise<TestCluster> {
  const size = options.size ?? 3;
  const held = options.held ?? 0;
  const dir = tempDir(t, 'iob-cluster-');
  const clientPorts = await Promise.all(Array.from({ length: size }, freePort));
  const routePorts = await Promise.all(Array.from({ length: size }, freePort));
  const mapping = options.partitions && options.partitions > 1 ? partitionMapping(options.partitions) : undefined;
  const startNode = (port: number, i: number) => {
    const conf = join(dir, `n${i}.conf`);
    writeFileSync(
      conf,
      [
        `cluster {`,
        `  name: iob-test`,
        `  listen: 127.0.0.1:${routePorts[i]}`,
        `  routes: [${routePorts.map((r) => `nats-route://127.0.0.1:${r}`).join(', ')}]`,
        `}`,
        ...(mapping ? [`mappings = {`, `  "${mapping[0]}": "${mapping[1]}"`, `}`] : []),
      ].join('\n'),
    );
    return startNatsServer({ storeDir: join(dir, `n${i}`), port, serverName: `n${i}`, args: ['-c', conf], readyTimeoutMs: 30_000 });
  };
  const nodes = await Promise.all(clientPorts.slice(0, size - held).map(startNode));
  defer(t, async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
  });
  const urls = clientPorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
  // JetStream answers once the nodes have elected a meta leader.
  const nc = await connect({ servers: nodes.map((n) => n.url) });
  try {
    await waitUntil(
      async () => {
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      'the JetStream cluster to elect a leader',
    );
  } finally {
    await nc.close();
  }
  const startHeld = async () => {
    nodes.push(...(await Promise.all(clientPorts.slice(size - held).map((port, k) => startNode(port, size - held + k)))));
  };
  return { nodes, urls, startHeld };
}
