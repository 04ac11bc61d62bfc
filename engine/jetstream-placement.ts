/**
 * Creating (or opening) a stream, bucket or object store, retried while JetStream cannot place it yet.
 * A cluster that has elected its meta leader but is still forming, or has just lost a node, answers API calls before it
 * knows enough peers for an R-replica asset: the create call then fails with "no suitable peers for
 * placement" (or "JetStream system temporarily unavailable") for a second or two. A worker started beside
 * its cluster waits that out instead of exiting; any other error (a cluster with no meta leader at all
 * times out, and is reported so), or the wait running past its bound, is thrown as it came.
 */

/** nats-server's JSClusterNoPeersErr and JSClusterNotAvailErr: conditions a forming cluster grows out of. */
const NOT_PLACEABLE_YET: ReadonlySet<number> = new Set([10005, 10008]);

export interface PlacementWait {
  /** how long to keep trying (default 30 s) */
  timeoutMs?: number;
  /** told once, on the first refusal: the description nats-server gave */
  onWait?: (reason: string) => void;
}

export function isNotPlaceableYet(err: unknown): boolean {
  const code = (err as { api_error?: { err_code?: unknown } } | null)?.api_error?.err_code;
  return typeof code === 'number' && NOT_PLACEABLE_YET.has(code);
}

export async function whenPlaceable<T>(create: () => Promise<T>, options: PlacementWait = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let told = false;
  for (let delay = 100; ; delay = Math.min(2_000, delay * 2)) {
    try {
      return await create();
    } catch (err) {
      if (!isNotPlaceableYet(err) || Date.now() + delay > deadline) throw err;
      if (!told) {
        told = true;
        // nats.js puts the status ("503") in the message for some of these; the server's words are in api_error.
        options.onWait?.((err as { api_error?: { description?: string } }).api_error?.description ?? (err as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
