/**
 * A keep-alive connection remembers the key its last request was identified by (serving/auth.ts): over one
 * real TCP connection, a request with a different key, a wrong key or no key must still be judged by that
 * key alone, and the remembered one must still work after them.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { bearer, startTestStack } from '../helpers/engine.ts';

test('one keep-alive connection: each request is judged by its own key, whatever the previous one carried', async (t) => {
  const { app } = await startTestStack(t);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const ports = new Set<number>();
  const get = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/consent/auth-connection-subject`, { agent, headers }, (res) => {
        ports.add(req.socket!.localPort!);
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });

  // GET /v1/consent/:subject needs the scope `consent` (or admin); 200 means authorized (an unknown subject has no choices yet).
  const sequence: Array<[headers: Record<string, string>, status: number]> = [
    [bearer('consent'), 200],
    [bearer('consent'), 200],
    [bearer('score'), 403],
    [{ authorization: 'Bearer not-a-key-0123456789' }, 401],
    [{}, 401],
    [{ authorization: `${bearer('consent').authorization} ` }, 200],
    [{ authorization: bearer('consent').authorization.replace('Bearer test', 'Bearer TEST') }, 401],
    [bearer('consent'), 200],
    [bearer('admin'), 200],
    [bearer('ingest'), 403],
  ];
  for (const [i, [headers, status]] of sequence.entries()) assert.equal(await get(headers), status, `request ${i} (${JSON.stringify(headers)})`);
  assert.equal(ports.size, 1, 'every request went over the same connection');
});
