/** Child process of the consent bench: a second replica that reports when it sees a withdrawal. */
import { connect } from 'nats';
import { openConsentRegistry } from '../engine/index.ts';

const [url, sid] = process.argv.slice(2) as [string, string];
const nc = await connect({ servers: url });
const registry = await openConsentRegistry(nc.jetstream());
await registry.synced();
registry.onChange((key) => {
  if (key === sid && !registry.allowed(sid, 'personalization')) {
    process.stdout.write(JSON.stringify({ seenAt: Date.now() }) + '\n');
  }
});
process.stdout.write('ready\n');
