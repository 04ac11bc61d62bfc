/**
 * An open-loop load generator: requests leave at evenly spaced times (rate per second), whatever the
 * answers do, over a bounded pool of keep-alive connections, and every response's time is kept.
 *
 * autocannon's `overallRate` sends each connection's share of a second back to back at the start of the
 * second and then idles, so at half the maximum rate a request's latency mostly measures the queue of its
 * own burst; a soak that asks "does the latency of a steady load drift?" needs the steady load.
 */
import { Agent, request } from 'node:http';

export interface PacedRequest {
  method: string;
  path: string;
  body?: string;
}

export interface PacedResult {
  /** each 2xx response's time in ms, from the moment it was sent (queueing for a connection included) */
  times: number[];
  sent: number;
  errors: number;
  non2xx: number;
}

export async function pacedLoad(options: {
  url: string;
  rate: number;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
  next: () => PacedRequest;
}): Promise<PacedResult> {
  const { hostname, port } = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const result: PacedResult = { times: [], sent: 0, errors: 0, non2xx: 0 };
  const inFlight = new Set<Promise<void>>();
  const send = (r: PacedRequest) => {
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = request({ agent, host: hostname, port, method: r.method, path: r.path, headers: options.headers }, (res) => {
        res.resume();
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) result.times.push(performance.now() - started);
          else result.non2xx++;
          resolve();
        });
      });
      req.once('error', () => {
        result.errors++;
        resolve();
      });
      req.end(r.body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const start = performance.now();
  const total = Math.round(options.rate * options.seconds);
  await new Promise<void>((resolve) => {
    // A 2 ms tick sends every request whose time has come; a late tick catches up rather than skipping.
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * options.rate));
      while (result.sent < due) {
        result.sent++;
        send(options.next());
      }
      if (result.sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await Promise.all(inFlight);
  agent.destroy();
  return result;
}
