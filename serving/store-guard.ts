/**
 * For the routes that read or write the event store's streams and buckets (consent changes, export,
 * erasure, catalog, audit): while NATS is known to be out of reach, 503 IOB_ERR_UNAVAILABLE at once,
 * as ingest answers, instead of after the NATS client's timeout (5 s). A request that meets an outage
 * the engine has not noticed yet gets the same answer when the client gives up (serving/error-handler.ts).
 * Runs after authentication: a caller without a key learns nothing about the store.
 */
import type { onRequestAsyncHookHandler } from 'fastify';
import { IobError } from '../engine/index.ts';
import type { ServingEngine } from './engine-port.ts';

export const whileStoreReachable = (engine: Pick<ServingEngine, 'isReady'>): onRequestAsyncHookHandler =>
  async () => {
    if (!engine.isReady()) throw new IobError('IOB_ERR_UNAVAILABLE');
  };
