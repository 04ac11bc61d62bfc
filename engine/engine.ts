/**
 * The engine process: broker connection (embedded nats-server unless NATS_URL), the event stream, the
 * ingest boundary (HTTP callers use `ingest`, NATS producers the boundary worker) and the consumer that
 * keeps the engine's state. One object with an ordered shutdown.
 */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { openAuditLog, type AuditLog } from './audit-log.ts';
import { startBoundaryWorker, type BoundaryWorker } from './boundary-worker.ts';
import { openConsentRegistry, type ConsentRegistry } from './consent/consent-registry.ts';
import { openErasureList, type ErasureList } from './erasure-list.ts';
import { openForecastStore, type ForecastStore } from './forecast-store.ts';
import { watchCatalog, type CatalogView } from './catalog.ts';
import { admittedAt, allowedAt, type ConsentRecord } from './consent/consent-record.ts';
import type { Purpose } from './purposes.ts';
import { sessionKey } from './features/sessions.ts';
import { RecentItemsState } from './recent-items.ts';
import { DEFAULT_VIEWS, type Entity } from './features/definitions.ts';
import { startPartitionedState, type PartitionedState } from './cluster/partitioned-state.ts';
import { partitionMapping, partitionOf } from './event-log.ts';
import { IobError } from './errors.ts';
import { createSubjectRights, type SubjectRights } from './subject-rights.ts';
import type { Config } from './config.ts';
import { FeatureStore } from './features/online-store.ts';
import { readSnapshot, writeSnapshot } from './features/snapshot.ts';
import { ensureEventStream } from './event-log.ts';
import { createBoundary } from './ingest-boundary.ts';
import { createJetStreamPublisher } from './jetstream-publisher.ts';
import { createIngestor, type IngestCounters, type IngestReport } from './ingest.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import { whenPlaceable } from './jetstream-placement.ts';
import { createPseudonymizer, type Pseudonymizer } from './pseudonymize.ts';
import { ensureDataDir, ensurePseudonymKey } from './secrets.ts';
import { startStreamConsumer, type ConsumerStats, type EventSink, type StreamConsumer } from './stream-consumer.ts';

/** The periodic snapshot waits at least this many times the event-loop time the previous one took (see startEngine). */
const SNAPSHOT_SPACING = 20;

export interface EngineStats {
  ready: boolean;
  ingest: Readonly<IngestCounters>;
  consumer: ConsumerStats;
  boundaryMessages: number;
  /** on a partitioned deployment: how many partitions, and which this worker owns */
  partitions?: { total: number; owned: number[]; worker: string };
}

export interface Engine {
  readonly natsUrl: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /**
   * The online feature store: the engine state the consumer keeps. On a partitioned deployment it holds
   * the aggregate views (items, categories, demand histories) of the whole stream, and `partitioned` holds
   * the personal state of the partitions this worker leases.
   */
  readonly features: FeatureStore;
  readonly partitioned?: PartitionedState;
  /**
   * Online offers state (recent items, session categories) of the subjects whose personal state this
   * process holds; personalization-gated like the personal views (engine/recent-items.ts).
   */
  readonly recentItems: RecentItemsState;
  /**
   * The current features of a subject and of one of its sessions (raw ids, pseudonymized here); without
   * a session id, the subject's derived session (events that carried none).
   */
  subjectFeatures(subject: string, session?: string): { subject: Record<string, number>; session: Record<string, number> };
  /**
   * `subjectFeatures` by pseudonymous ids (the caller has them for its consent check, and an HMAC per id
   * costs ~2 µs) written into `subjectOut` and `sessionOut` (in `features.featureNames('subject' |
   * 'session')` order), allocating nothing: the scoring path (POST /v1/intent) reads per request.
   */
  readSubjectFeatures(sid: string, ssid: string | undefined, subjectOut: Float32Array, sessionOut: Float32Array): void;
  /** Throws 421 IOB_ERR_WRONG_WORKER unless this process holds the person's state (pseudonymous id). */
  assertHolds(sid: string): void;
  /** Writes a snapshot of the feature store now (also periodic and on close). */
  snapshot(): Promise<void>;
  readonly pseudonymize: Pseudonymizer;
  readonly consent: ConsentRegistry;
  readonly audit: AuditLog;
  readonly subjects: SubjectRights;
  /** the validated settings the engine runs with */
  readonly config: Config;
  readonly erasures: ErasureList;
  /** The published demand forecasts (aggregate only), followed from NATS in every process. */
  readonly forecasts: ForecastStore;
  /** The shared offer catalog (NATS KV IOB_CATALOG), followed into a local map in every process. */
  readonly catalog: CatalogView;
  ingest(events: readonly unknown[]): Promise<IngestReport>;
  /** True while the broker is reachable. */
  isReady(): boolean;
  stats(): EngineStats;
  /** Resolves once the engine state reflects stream sequence `seq`. */
  waitForSeq(seq: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartEngineOptions {
  config: Config;
  log: Logger;
  /** Do not consume the stream (an ingest-only process). */
  consume?: boolean;
}

export async function startEngine({ config, log, consume = true }: StartEngineOptions): Promise<Engine> {
  ensureDataDir(config.dataDir);
  const pseudonymKey = config.pseudonymKey ?? ensurePseudonymKey(config.dataDir);
  const pseudonymize = createPseudonymizer(pseudonymKey);

  let embedded: NatsServer | undefined;
  let natsUrl = config.natsUrl;
  const partitions = config.partitions;
  if (!natsUrl) {
    const args = partitions > 1 ? ['-c', writeMappingConfig(config.dataDir, partitions)] : [];
    embedded = await startNatsServer({ storeDir: join(config.dataDir, 'nats'), readyTimeoutMs: config.natsReadyTimeoutMs, args });
    natsUrl = embedded.url;
    log.info({ port: embedded.port }, 'embedded nats-server started');
  }

  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: natsUrl.split(','),
      name: 'iob-engine',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: config.natsReadyTimeoutMs,
    });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  let connected = true;
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false;
        log.warn('lost the NATS connection; reconnecting');
      } else if (s.type === 'reconnect') {
        connected = true;
        log.info('NATS connection restored');
      }
    }
  })().catch(() => undefined);

  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  // Each store is created (or opened) once the cluster can place its replicas (jetstream-placement.ts); each
  // opener creates its stream or bucket before it watches anything, so a refused attempt leaves nothing behind.
  const placement = { timeoutMs: Math.max(30_000, config.natsReadyTimeoutMs), onWait: (reason: string) => log.warn({ reason }, 'JetStream cannot place the streams yet (a cluster still forming?); waiting') };
  await whenPlaceable(
    () =>
      ensureEventStream(jsm, {
        maxAgeMs: config.retentionDays * 86_400_000,
        duplicateWindowMs: config.duplicateWindowMs,
        replicas: config.streamReplicas,
        partitions,
      }),
    placement,
  );

  const consent = await whenPlaceable(() => openConsentRegistry(js, { replicas: config.streamReplicas }), placement);
  const audit = await whenPlaceable(() => openAuditLog(js, jsm, config.streamReplicas), placement);
  await consent.synced();
  // An erasure anywhere empties this process's memo of raw ids (the one place one outlives its request).
  const erasures = await whenPlaceable(() => openErasureList(js, { replicas: config.streamReplicas, onErased: () => pseudonymize.forgetRaw() }), placement);
  const forecasts = await whenPlaceable(() => openForecastStore(js, { replicas: config.streamReplicas, log: log.child({ component: 'forecasts' }) }), placement);
  const catalog = await whenPlaceable(() => watchCatalog(js, { replicas: config.streamReplicas, onBadEntry: () => log.warn('catalog entry fails validation; ignored') }), placement);
  await catalog.synced();
  const subjects = createSubjectRights({ pseudonymize, registry: consent, audit, erasures, js, jsm, partitions });

  const boundary = createBoundary({
    pseudonymize,
    retentionMs: config.retentionDays * 86_400_000,
    maxFutureSkewMs: config.maxFutureSkewMs,
  });
  const publisher = createJetStreamPublisher(nc);
  const ingestor = createIngestor(publisher, boundary);
  // The snapshot says which stream sequence the state reflects; the consumer resumes right after it.
  const snapshotPath = join(config.dataDir, 'snapshots', 'features.msgpack');
  // Purpose gate: an event feeds state serving a purpose (a profile for personalization, item popularity
  // for analytics, demand history for forecasting) only if its subject's consent allowed that purpose at
  // the event's time and still allows it when applied (consent-record.ts admittedAt). The store asks per
  // purpose; the subject's record is looked up once per event.
  let record: ConsentRecord | undefined;
  let appliedAt = 0;
  const admits = (_sid: string, purpose: Purpose, ts: number) => admittedAt(record, purpose, ts, appliedAt);
  const recentItems = new RecentItemsState();
  const gate = (store: FeatureStore, alsoApply?: (event: Parameters<EventSink['apply']>[0]) => void): EventSink => ({
    get lastSeq() {
      return store.lastSeq;
    },
    apply(event, seq) {
      record = consent.get(event.sid);
      appliedAt = Date.now();
      if (alsoApply && seq > store.lastSeq) alsoApply(event);
      store.apply(event, seq);
    },
    skip: (seq) => store.skip(seq),
  });
  // Partitioned: this store keeps the aggregate entities of the whole stream and no one's personal state
  // (which lives in the partitions this worker leases, cluster/partitioned-state.ts); it still declares every
  // view, so feature names resolve the same on every deployment.
  const storeOptions = partitions > 1 ? { admits, ownsSubject: () => false } : { admits };
  // The offers state travels in the same snapshot (same stream sequence); a subject whose personalization
  // consent was withdrawn (or who was erased) while this process was down is not restored. Partitioned, it
  // rides on each partition's consumer and snapshot instead (see startPartitionedState below).
  const stillPersonal = (sid: string) => consent.allowed(sid, 'personalization');
  const attachments = partitions > 1 ? [] : [recentItems.attachment(stillPersonal)];
  const restored = await readSnapshot(snapshotPath, storeOptions, attachments).catch((err) => {
    log.warn({ err: { message: (err as Error).message } }, 'feature snapshot unreadable; rebuilding from the stream');
    return undefined;
  });
  const features = restored ?? new FeatureStore(storeOptions);
  // The offers state rides on the consumer of the person's state (the main one, or a partition's), through
  // the same personalization gate as the subject and session views.
  const applyRecent = (event: Parameters<EventSink['apply']>[0]) => {
    if (admits(event.sid, 'personalization', event.ts)) recentItems.apply(event);
  };
  const gatedSink = gate(features, partitions > 1 ? undefined : applyRecent);
  if (restored) log.info({ lastSeq: restored.lastSeq }, 'feature store restored from snapshot');
  let snapshotting: Promise<void> | undefined;
  /** event-loop time the last snapshot's encoding took */
  let lastSnapshotBusyMs = 0;
  // The consumer (started below) is held while a snapshot packs: see writeSnapshot.
  let holdConsumer: (() => () => void) | undefined;
  const snapshot = () =>
    (snapshotting ??= writeSnapshot(snapshotPath, features, attachments, holdConsumer)
      .then((r) => {
        lastSnapshotBusyMs = r.busyMs;
        log.debug({ lastSeq: r.lastSeq, bytes: r.bytes, busyMs: Math.round(r.busyMs) }, 'feature snapshot written');
      })
      .finally(() => (snapshotting = undefined)));
  // A snapshot's cost grows with the state (seconds of CPU at a million subjects): the next periodic one
  // waits the configured interval, or SNAPSHOT_SPACING times the event-loop time the last one's encoding took
  // if that is longer, so snapshots never take more than a twentieth of the event loop.
  let snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleSnapshot = (afterMs: number) => {
    snapshotTimer = setTimeout(() => {
      void snapshot()
        .catch((err) => log.error({ err }, 'feature snapshot failed'))
        // close() clears snapshotTimer: no next snapshot after it
        .finally(() => snapshotTimer && scheduleSnapshot(Math.max(config.snapshotIntervalMs, SNAPSHOT_SPACING * lastSnapshotBusyMs)));
    }, afterMs);
    snapshotTimer.unref();
  };
  scheduleSnapshot(config.snapshotIntervalMs);

  const workerId = config.workerId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${process.pid}`;
  const partitioned =
    partitions > 1 && consume
      ? await startPartitionedState(nc, js, jsm, {
          partitions,
          workerId,
          leaseTtlMs: config.leaseTtlMs,
          replicas: config.streamReplicas,
          consumerName: config.consumerName,
          snapshotIntervalMs: config.snapshotIntervalMs,
          storeOptions: { admits, views: DEFAULT_VIEWS.filter((v) => isPersonalEntity(v.entity)), histories: [] },
          sinkFor: (store) => gate(store, applyRecent),
          attachmentsFor: (p) => [recentItems.attachment(stillPersonal, (sid) => partitionOf(sid, partitions) === p)],
          forget: (p) => void recentItems.forget((sid) => partitionOf(sid, partitions) === p),
          log: log.child({ component: 'partitions', worker: workerId }),
        })
      : undefined;
  /** The store holding a person's state here (undefined: another worker's partition). */
  const personal = (sid: string): FeatureStore | undefined => (partitions > 1 ? partitioned?.storeFor(sid) : features);
  /** Every store keeping a person's state here, serving or paused: what purges reach. */
  const kept = (sid: string): FeatureStore | undefined => (partitions > 1 ? partitioned?.keptFor(sid) : features);
  /** The store holding a person's state, or 421 naming the worker that holds it. */
  const holding = (sid: string): FeatureStore => {
    const store = personal(sid);
    if (store) return store;
    const owner = partitioned?.ownerOf(sid);
    throw new IobError('IOB_ERR_WRONG_WORKER', `this subject's partition is held by ${owner ? `worker ${owner}` : 'no worker yet (being taken over)'}`);
  };

  // Derived data follows consent: withdrawal of personalization purges the person's profile at once,
  // on every replica (each one watches the registry).
  consent.onChange((sid, before, after) => {
    const now = Date.now();
    if (allowedAt(before, 'personalization', now) && !allowedAt(after, 'personalization', now)) {
      kept(sid)?.purge('subject', sid);
      recentItems.purge(sid);
    }
  });
  subjects.addHolder({ name: 'recentItems', export: (sid) => recentItems.export(sid), purge: (sid) => recentItems.purge(sid) });
  subjects.addHolder({
    name: 'features',
    export: (sid) => {
      const store = personal(sid);
      return store ? { subject: store.readRecord('subject', sid), session: store.readRecord('session', sessionKey(sid)) } : { heldBy: 'another worker' };
    },
    purge: (sid) => (kept(sid)?.purge('subject', sid) ? 1 : 0),
  });
  const worker: BoundaryWorker = startBoundaryWorker(nc, ingestor, log.child({ component: 'boundary-worker' }), config.maxBatch);
  const durable = partitions > 1 ? `${config.consumerName}-aggregates-${workerId}` : config.consumerName;
  const consumer: StreamConsumer | undefined = consume
    ? await startStreamConsumer(js, jsm, { durable, sink: gatedSink, log: log.child({ component: 'consumer' }) })
    : undefined;
  if (consumer) holdConsumer = () => consumer.hold();

  const emptyConsumerStats: ConsumerStats = { lastSeq: 0, applied: 0, duplicatesSkipped: 0, undecodable: 0, lag: 0, throughput: 0 };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await worker.stop().catch((err) => log.warn({ err }, 'boundary worker stop'));
      await consumer?.stop().catch((err) => log.warn({ err }, 'consumer stop'));
      // Hands the partitions back (each snapshotted to the object store) for the other workers to take.
      await partitioned?.close().catch((err) => log.warn({ err }, 'partition release'));
      clearTimeout(snapshotTimer);
      snapshotTimer = undefined;
      // A periodic snapshot still being written holds an earlier state: let it finish, then write the last one.
      await snapshotting?.catch(() => undefined);
      if (consumer) await snapshot().catch((err) => log.error({ err }, 'final feature snapshot failed'));
      publisher.close();
      await consent.close();
      await erasures.close();
      await forecasts.close();
      await catalog.close();
      // Draining needs the broker; when it is gone, close at once instead of waiting on reconnects.
      if (connected) await Promise.race([nc.drain(), new Promise((r) => setTimeout(r, 5000).unref())]).catch(() => undefined);
      if (!nc.isClosed()) await nc.close();
      await embedded?.stop();
    })());

  return {
    config,
    natsUrl,
    nc,
    js,
    jsm,
    features,
    recentItems,
    ...(partitioned ? { partitioned } : {}),
    snapshot,
    subjectFeatures(subject, session) {
      const sid = pseudonymize('subject', subject);
      const ssid = session === undefined ? undefined : pseudonymize('session', session);
      const store = holding(sid);
      return { subject: store.readRecord('subject', sid), session: store.readRecord('session', sessionKey(sid, ssid)) };
    },
    readSubjectFeatures(sid, ssid, subjectOut, sessionOut) {
      const store = holding(sid);
      store.readInto(subjectOut, 0, 'subject', sid);
      store.readInto(sessionOut, 0, 'session', sessionKey(sid, ssid));
    },
    assertHolds: (sid) => void holding(sid),
    pseudonymize,
    consent,
    audit,
    subjects,
    erasures,
    forecasts,
    catalog,
    ingest: (events) => ingestor.ingest(events),
    isReady: () => connected && !nc.isClosed(),
    stats: () => ({
      ready: connected && !nc.isClosed(),
      ingest: ingestor.counters,
      consumer: consumer?.stats() ?? emptyConsumerStats,
      boundaryMessages: worker.received,
      ...(partitioned ? { partitions: { total: partitions, owned: partitioned.owned(), worker: workerId } } : {}),
    }),
    async waitForSeq(seq, timeoutMs) {
      if (!consumer) throw new Error('this engine does not consume');
      await consumer.waitFor(seq, timeoutMs);
      await partitioned?.waitFor(seq, timeoutMs);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

const isPersonalEntity = (entity: Entity) => entity === 'subject' || entity === 'session';

/** The embedded server's config for a partitioned stream: the subject mapping (event-log.ts). */
function writeMappingConfig(dataDir: string, partitions: number): string {
  const [from, to] = partitionMapping(partitions);
  const path = join(dataDir, 'nats-partitions.conf');
  writeFileSync(path, `mappings = {\n  "${from}": "${to}"\n}\n`, { mode: 0o600 });
  return path;
}
