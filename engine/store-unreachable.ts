/**
 * Whether an error means the event store (NATS) could not be reached, as opposed to a bug: the client
 * timed out waiting for an answer, the connection is down, closed or draining, or JetStream had no
 * responder (the server or the stream's leader is away). Callers answer these 503 and retry, not 500.
 */
import { ErrorCode, NatsError } from 'nats';

const UNREACHABLE: ReadonlySet<string> = new Set([
  ErrorCode.Timeout,
  ErrorCode.Disconnect,
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionDraining,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
  ErrorCode.NoResponders,
  ErrorCode.JetStream408RequestTimeout,
]);

export function isStoreUnreachable(err: unknown): boolean {
  return err instanceof NatsError && UNREACHABLE.has(err.code);
}
