import client from 'prom-client';

/** One registry per server so several servers can share a process (tests, the emulator). */
export class Metrics {
  readonly registry = new client.Registry();
  readonly http: client.Histogram<'method' | 'route' | 'status'>;
  readonly search: client.Histogram<'cache'>;
  readonly indexQuery: client.Histogram<string>;
  readonly cache: client.Counter<'result'>;
  readonly writes: client.Counter<'op'>;
  readonly replicationLag: client.Histogram<string>;
  readonly replication: client.Counter<'result'>;
  readonly analyticsDropped: client.Counter<string>;
  readonly publishErrors: client.Counter<string>;
  readonly changeFeed: client.Counter<'result'>;
  readonly searchRefused: client.Counter<'reason'>;

  constructor(indexSize: () => Record<string, number>, redisUp: () => boolean, workerSearches: () => number[] = () => []) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.http = new client.Histogram({
      name: 'ruvector_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.search = new client.Histogram({
      name: 'ruvector_search_duration_seconds',
      help: 'Search latency inside the service',
      labelNames: ['cache'],
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    // Beside the request latency: when it grows and this does not, time goes to queueing, not HNSW.
    this.indexQuery = new client.Histogram({
      name: 'ruvector_index_query_seconds',
      help: 'Wall time of one query in an index worker\'s HNSW search (no queueing, no HTTP)',
      buckets: [0.0001, 0.0002, 0.0003, 0.0005, 0.001, 0.002, 0.005, 0.01],
      registers,
    });
    this.cache = new client.Counter({ name: 'ruvector_search_cache_total', help: 'Search cache lookups by result (hit, miss, bypass)', labelNames: ['result'], registers });
    this.writes = new client.Counter({ name: 'ruvector_writes_total', help: 'Vectors written', labelNames: ['op'], registers });
    this.replicationLag = new client.Histogram({
      name: 'ruvector_replication_lag_seconds',
      help: 'Age of a replicated update when applied here',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.replication = new client.Counter({ name: 'ruvector_replication_messages_total', help: 'Pub/Sub push messages by outcome', labelNames: ['result'], registers });
    this.analyticsDropped = new client.Counter({ name: 'ruvector_analytics_dropped_total', help: 'Analytics rows dropped because the buffer was full', registers });
    this.publishErrors = new client.Counter({ name: 'ruvector_pubsub_publish_errors_total', help: 'VectorUpdate publish failures', registers });
    this.changeFeed = new client.Counter({
      name: 'ruvector_changefeed_rows_total',
      help: 'Rows the Postgres change feed read, by result: known (already held here, contents not fetched) or fetched',
      labelNames: ['result'],
      registers,
    });
    this.searchRefused = new client.Counter({
      name: 'ruvector_search_refused_total',
      help: 'Searches answered 503 by reason: overloaded (the search queue was past its bound) or timeout (not answered by SEARCH_TIMEOUT_MS)',
      labelNames: ['reason'],
      registers,
    });
    new client.Gauge({
      name: 'ruvector_index_vectors',
      help: 'Live vectors per collection',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const [c, n] of Object.entries(indexSize())) this.set({ collection: c }, n);
      },
    });
    new client.Gauge({
      name: 'ruvector_redis_up',
      help: '1 when Redis is reachable',
      registers,
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'ruvector_worker_searches',
      help: 'Searches served by each index worker (replica) since start',
      labelNames: ['worker'],
      registers,
      collect() {
        workerSearches().forEach((n, i) => this.set({ worker: String(i) }, n));
      },
    });
    const cacheCounter = this.cache;
    new client.Gauge({
      name: 'ruvector_search_cache_hit_ratio',
      help: 'Search cache hits / lookups since start',
      registers,
      async collect() {
        const v = (await cacheCounter.get()).values;
        const hit = v.find((x) => x.labels.result === 'hit')?.value ?? 0;
        const miss = v.find((x) => x.labels.result === 'miss')?.value ?? 0;
        this.set(hit + miss === 0 ? 0 : hit / (hit + miss));
      },
    });
  }
}
