import type pg from 'pg';
import type { Logger } from 'pino';
import { loadConfig, type ServiceConfig } from './config.js';
import { createLogger } from './log.js';
import { createApp } from './http/app.js';
import { nativeRoutes } from './http/native.js';
import { qdrantRoutes } from './http/qdrant.js';
import { pushDisabledReason, pushRoute } from './replication/push.js';
import { Metrics } from './metrics.js';
import { Cache } from './cache/redis.js';
import { createPool, ensurePartitions, isReadOnly, migrate } from './store/db.js';
import { VectorStore } from './store/vectors.js';
import { Analytics } from './store/analytics.js';
import { IndexPool } from './index/pool.js';
import { Engine } from './engine.js';
import { ChangeFeed } from './replication/changefeed.js';
import { Shipper } from './replication/shipper.js';
import { Receiver } from './replication/receiver.js';
import { Snapshotter, bucketFor, storageFor } from './snapshot/snapshotter.js';
import { StoragePath } from './store/vectors.js';
import { chooseHnswBuild } from './index/hnswlib.js';

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  /** Resolves when the index is loaded and /health/startup answers 200. */
  started: Promise<void>;
  snapshot(): Promise<unknown>;
  /** How the index was loaded: from which snapshot, and how many rows the change feed replayed after it. */
  load: { snapshot?: string; fromSnapshot: number; replayed: number; graphs?: number };
  /** Graceful drain: stop taking traffic, finish in-flight requests, flush, close. */
  close(): Promise<void>;
  /**
   * Before a hard exit (the drain did not finish in time): gets every index worker out of
   * hnswlib's search, so that exiting cannot abort the process. False if one was still in
   * there after maxWaitMs.
   */
  halt(maxWaitMs: number): Promise<boolean>;
}

/** True if p resolves within ms, false if it does not (it keeps running); rejects as p does. */
function withinMs(ms: number, p: Promise<unknown>): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function retry<T>(what: string, log: Logger, fn: () => Promise<T>, isClosing: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (isClosing()) throw e;
      const wait = Math.min(250 * 2 ** attempt, 5000);
      log.warn({ err: (e as Error).message, attempt, retryInMs: wait }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * Starts the vector service: the same code path as the container's entry point and
 * `ruvector serve`. It listens at once (so startup/liveness probes answer) and loads the
 * index in the background; data routes answer 503 until it is loaded.
 */
export async function startServer(config: ServiceConfig = loadConfig(), opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const cfg = config;
  const log = opts.logger ?? createLogger(cfg);
  let started = false;
  let draining = false;
  let engineRef: Engine | undefined;
  const cache = new Cache(cfg.redis, log);
  const metrics = new Metrics(() => engineRef?.indexSizes() ?? {}, () => cache.up, () => engineRef?.pool.searchCounts() ?? []);
  const pool: pg.Pool = createPool(cfg.db, 'requests');
  // Background work that may take minutes, kept off the request pool's short timeouts.
  const maintenance: pg.Pool = createPool(cfg.db, 'maintenance');
  const store = new VectorStore(pool);
  const analytics = new Analytics(pool, cfg.region, log, () => metrics.analyticsDropped.inc());
  const app = createApp(cfg, log, metrics, (route, method, status, ms) => {
    if (!route.startsWith('/api/') && !route.startsWith('/collections')) return;
    const type = /search|query/.test(route) ? 'search' : /delete/.test(route) || method === 'DELETE' ? 'delete' : method === 'GET' || route.endsWith('/get') ? 'get' : 'insert';
    // 429s are already recorded by the engine with RATE_LIMITED.
    if (status !== 429) analytics.record({ type, latencyMs: ms, errorCode: `HTTP_${status}` });
  });
  const hnswBuild = chooseHnswBuild(cfg.hnsw.build);
  const index = new IndexPool(
    cfg.searchWorkers,
    (e) => {
      // A replica that died is out of step with the write stream: let the platform restart us.
      log.fatal({ err: e.message }, 'index worker died; exiting');
      process.exit(1);
    },
    hnswBuild,
    { timeoutMs: cfg.search.timeoutMs, queueQueries: cfg.search.queueQueries, queueWaitMs: cfg.search.queueWaitMs, wedgedMs: cfg.search.wedgedMs },
  );
  const engine = new Engine(cfg, store, index, cache, analytics, metrics, log);
  engineRef = engine;
  const feed = new ChangeFeed(engine, log, (known, fetched) => {
    metrics.changeFeed.inc({ result: 'known' }, known);
    metrics.changeFeed.inc({ result: 'fetched' }, fetched);
  });
  const storage = cfg.storage.bucket ? storageFor(cfg) : undefined;
  const bucket = storage ? bucketFor(cfg, storage) : undefined;
  let readOnly = false;
  const shipper = cfg.pubsub.topic ? new Shipper(cfg, engine, bucket, log, () => metrics.publishErrors.inc()) : undefined;
  if (shipper) {
    engine.onWrite = (ev) => shipper.enqueue(ev);
    engine.writeStoragePath = StoragePath.PENDING;
  }
  const receiver = new Receiver(engine, storage, () => readOnly, log, cfg.maxClockSkewMs);
  const snapshotter = bucket ? new Snapshotter(bucket, cfg, maintenance, log) : undefined;
  snapshotter?.attach(engine, () => feed.watermark);
  const timers: NodeJS.Timeout[] = [];
  const load: RunningServer['load'] = { fromSnapshot: 0, replayed: 0 };

  app.addHook('onRequest', async (req, reply) => {
    if (started || req.url.startsWith('/health') || req.url.startsWith('/metrics')) return;
    reply.code(503).header('retry-after', '1').send({ status: 503, error: 'the index is still loading; retry shortly' });
    return reply;
  });

  app.get('/health/live', async () => ({ status: 'alive' }));
  app.get('/health/startup', async (_req, reply) => {
    if (!started) return reply.code(503).send({ status: 'starting' });
    return { status: 'started', collections: engine.collections.size, vectors: Object.values(engine.indexSizes()).reduce((a, b) => a + b, 0) };
  });
  app.get('/health/ready', async (_req, reply) => {
    const [pgOk, redisOk] = await Promise.all([
      // Bounded: a stalled Postgres is reported down within DB_HEALTH_TIMEOUT_MS, not after the query timeout.
      withinMs(cfg.db.timeouts.healthMs, store.ping()).then((answered) => answered, () => false),
      cache.ping(),
    ]);
    // A wedged pool answers no search: not ready, so the platform can route around or replace us.
    const searches = index.health();
    const checks = { index: !started ? 'loading' : searches.wedged ? `wedged: ${searches.wedged}` : 'loaded', postgres: pgOk ? 'up' : 'down', redis: redisOk ? 'up' : 'down', draining, searchQueue: { searches: searches.searches, queries: searches.queries } };
    // Redis is only a cache: without it we still serve (degraded). Without Postgres writes cannot be made durable.
    const ready = started && pgOk && !draining && searches.wedged === undefined;
    const status = !ready ? 'unavailable' : redisOk ? 'ok' : 'degraded';
    return reply.code(ready ? 200 : 503).send({ status, checks, region: cfg.region });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  nativeRoutes(app, engine, cfg);
  qdrantRoutes(app, engine, cfg);
  pushRoute(app, receiver, cfg, metrics, log);

  const address = await app.listen({ port: cfg.port, host: cfg.host });
  const port = (app.server.address() as { port: number }).port;
  const url = `http://${cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host}:${port}`;
  log.info({ address, workers: cfg.searchWorkers, hnswlib: hnswBuild, storage: cfg.storage.bucket ?? 'off', pubsub: cfg.pubsub.topic ?? 'off', writes: cfg.apiKey ? 'api-key' : 'disabled' }, 'listening');
  if (!cfg.storage.bucket) log.info('STORAGE_BUCKET not set: snapshots are off (Postgres alone restores the index)');
  if (!cfg.pubsub.topic) log.info('PUBSUB_TOPIC not set: cross-region publishing is off');
  if (!cfg.apiKey) log.warn('RUVECTOR_API_KEY not set: writes are refused');
  const pushOff = pushDisabledReason(cfg.push);
  if (pushOff) log.warn(`${pushOff}: Pub/Sub pushes (other regions' writes) are refused with 401`);

  const closing = () => draining;
  const startedP = (async () => {
    await retry('postgres migration', log, () => migrate(maintenance, log), closing);
    readOnly = await isReadOnly(pool);
    if (readOnly) analytics.setReadOnly();
    await retry('partition maintenance', log, () => ensurePartitions(maintenance), closing);
    await engine.syncCollections();
    if (snapshotter) {
      const r = await engine.bulkLoad(() => snapshotter.restore(engine)).catch((e: Error) => {
        log.error({ err: e.message }, 'snapshot restore failed; rebuilding from Postgres');
        return { seq: 0n, vectors: 0, snapshot: undefined, graphs: 0 };
      });
      feed.watermark = r.seq;
      load.snapshot = r.snapshot;
      load.fromSnapshot = r.vectors;
      load.graphs = r.graphs ?? 0;
    }
    const t0 = performance.now();
    const n = await feed.coldStart();
    load.replayed = n;
    started = true;
    log.info({ replayed: n, ms: Math.round(performance.now() - t0), vectors: engine.indexSizes() }, 'index loaded; ready');
    feed.start(cfg.pollIntervalMs);
    snapshotter?.start();
    if (!readOnly) shipper?.start(cfg.replicationSweepMs);
    timers.push(setInterval(() => void ensurePartitions(maintenance).catch(() => {}), 6 * 3600_000).unref());
    if (!readOnly) {
      const purge = () =>
        void new VectorStore(maintenance)
          .purgeTombstones(cfg.tombstoneRetentionDays)
          .then((n) => n > 0 && log.info({ purged: n }, 'purged old tombstones'))
          .catch((e: Error) => log.warn({ err: e.message }, 'tombstone purge failed'));
      purge();
      timers.push(setInterval(purge, 6 * 3600_000).unref());
    }
    timers.push(setInterval(() => void maintenance.query('REFRESH MATERIALIZED VIEW query_metrics_hourly').catch(() => {}), 5 * 60_000).unref());
  })();
  startedP.catch((e: Error) => {
    if (!draining) {
      log.fatal({ err: e.message }, 'startup failed');
      process.exitCode = 1;
    }
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      draining = true;
      log.info('draining');
      for (const t of timers) clearInterval(t);
      await feed.stop();
      await snapshotter?.stop();
      await app.close();
      await analytics.close().catch(() => {});
      await shipper?.close();
      await startedP.catch(() => {});
      await index.close();
      await cache.close();
      await Promise.all([pool.end().catch(() => {}), maintenance.end().catch(() => {})]);
      log.info('stopped');
    })();
    return closed;
  };

  return { url, port, engine, started: startedP, close, halt: (ms) => index.halt(ms), load, snapshot: () => (snapshotter ? snapshotter.snapshot() : Promise.reject(new Error('STORAGE_BUCKET is not set'))) };
}
