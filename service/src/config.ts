import { availableParallelism } from 'node:os';
import type { HnswBuildChoice } from './index/hnswlib.js';
import { DEFAULT_FILTER_LIMITS, MAX_FILTER_DEPTH, type FilterLimits } from './vectors/filter.js';

/** Everything the server reads from its environment, parsed once at start. */
export interface ServiceConfig {
  port: number;
  host: string;
  region: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** build: which compiled hnswlib-node to run (service/src/index/hnswlib.ts). */
  hnsw: { m: number; efConstruction: number; efSearch: number; build: HnswBuildChoice };
  quantization: boolean;
  cacheSizeGb: number;
  /** Number of search worker threads; each holds a full index replica. Default: one per CPU. */
  searchWorkers: number;
  redis: { host: string; port: number; keyPrefix: string; password?: string };
  db: { host: string; port: number; database: string; user: string; password?: string; timeouts: DbTimeouts };
  storage: { bucket?: string; apiEndpoint?: string; shardSize: number; snapshotIntervalSec: number };
  pubsub: { topic?: string; apiEndpoint?: string; projectId?: string };
  /** How often the outbox sweep re-ships writes left pending (0 = never). */
  replicationSweepMs: number;
  /** How far ahead of this clock a replicated update's timestamp (its version) may be. */
  maxClockSkewMs: number;
  tombstoneRetentionDays: number;
  push: { jwksUrl: string; audience?: string; serviceAccount?: string; issuers: string[] };
  apiKey?: string;
  /** perWindow: cost units per client per window (a query, or a point id read, is one). */
  rateLimit: { perWindow: number; windowSec: number };
  /**
   * How long a client may take to send a request's headers, and the whole request (headers and
   * body): a connection past either is answered 408 and closed, so a body that stops midway or
   * is shorter than its Content-Length does not hold it forever. Answering is not bounded here.
   */
  receive: { headersMs: number; requestMs: number };
  /**
   * What one request may ask for. bodyBytes: upserts' bodies; queryBodyBytes: searches' and
   * reads' and deletes' by id; maxBatch: points or ids per request; maxQueries: queries per
   * search request; maxResults: k x queries.
   */
  limits: {
    bodyBytes: number;
    queryBodyBytes: number;
    maxK: number;
    maxBatch: number;
    maxQueries: number;
    maxResults: number;
    maxDimension: number;
    filter: FilterLimits;
  };
  /**
   * The search queue: timeoutMs is every search's deadline (queued or running); past
   * queueQueries queries in flight, or once the oldest waiting search has waited queueWaitMs,
   * searches are refused 503; a worker stuck wedgedMs on one task makes /health/ready fail.
   */
  search: { timeoutMs: number; queueQueries: number; queueWaitMs: number; wedgedMs: number };
  pollIntervalMs: number;
  /** Proxies in front of us that append to X-Forwarded-For (Cloud Run's front end: 1; behind the global LB: 2). */
  trustedProxyHops: number;
  /** Which searches use the Redis search cache: by-id (query_vector_id), all, or off. */
  searchCache: 'by-id' | 'all' | 'off';
  drainTimeoutMs: number;
}

/** Milliseconds; 0 = no limit. See createPool (store/db.ts) for what each bounds. */
export interface DbTimeouts {
  /** Server side: Postgres cancels a statement running longer (statement_timeout). */
  statementMs: number;
  /** Client side: a query unanswered this long fails and its connection is dropped (a stalled server or network). */
  queryMs: number;
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /** An idle pooled connection is closed after this. */
  idleMs: number;
  /** Server side: a session idle inside a transaction this long is ended, releasing its locks. */
  idleInTransactionMs: number;
  /** Background work (migrations, snapshots, partition and view maintenance, purges): statement and query timeouts. */
  maintenanceMs: number;
  /** What /health/ready waits for Postgres before it reports it down. */
  healthMs: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(env: Env, name: string, def: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(name, `must be a number >= ${min}, got "${raw}"`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** First word of RUST_LOG-style values ("info,ruvector_core=debug") is honoured too. */
function logLevel(env: Env): ServiceConfig['logLevel'] {
  const name = env.LOG_LEVEL !== undefined ? 'LOG_LEVEL' : 'RUST_LOG';
  const raw = (env[name] ?? 'info').split(',')[0]!.trim().toLowerCase() || 'info';
  const found = LEVELS.find((l) => l === raw);
  if (!found) throw new ConfigError(name, `must be one of ${LEVELS.join(', ')}, got "${raw}"`);
  return found;
}

function searchCacheMode(env: Env): ServiceConfig['searchCache'] {
  const v = (str(env, 'SEARCH_CACHE') ?? 'by-id').toLowerCase();
  if (v === 'by-id' || v === 'all' || v === 'off') return v;
  throw new ConfigError('SEARCH_CACHE', `must be by-id, all or off, got "${v}"`);
}

function hnswBuild(env: Env): HnswBuildChoice {
  const v = (str(env, 'HNSW_BUILD') ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'portable') return v;
  throw new ConfigError('HNSW_BUILD', `must be auto or portable, got "${v}"`);
}

function dbTimeouts(env: Env): DbTimeouts {
  const statementMs = int(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000);
  // A little over the statement timeout, so a slow statement is cancelled by the server (its
  // connection stays usable) and the client's own timer fires only when the server is stalled.
  const queryMs = int(env, 'DB_QUERY_TIMEOUT_MS', statementMs === 0 ? 0 : statementMs + 2000, 0, 3_600_000);
  if (statementMs > 0 && queryMs > 0 && queryMs < statementMs) {
    throw new ConfigError('DB_QUERY_TIMEOUT_MS', `must be at least DB_STATEMENT_TIMEOUT_MS (${statementMs}), got ${queryMs}`);
  }
  return {
    statementMs,
    queryMs,
    connectMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    idleMs: int(env, 'DB_IDLE_TIMEOUT_MS', 30_000, 0, 3_600_000),
    idleInTransactionMs: int(env, 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 3_600_000),
    maintenanceMs: int(env, 'DB_MAINTENANCE_TIMEOUT_MS', 1_800_000, 0, 86_400_000),
    healthMs: int(env, 'DB_HEALTH_TIMEOUT_MS', 2000, 100, 60_000),
  };
}

function receiveTimeouts(env: Env): ServiceConfig['receive'] {
  // A 32 MiB body over a 1 MB/s link takes ~30 s.
  const requestMs = int(env, 'REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000);
  const headersMs = int(env, 'HEADERS_TIMEOUT_MS', Math.min(10_000, requestMs), 100, 3_600_000);
  if (headersMs > requestMs) throw new ConfigError('HEADERS_TIMEOUT_MS', `must be at most REQUEST_TIMEOUT_MS (${requestMs}), got ${headersMs}`);
  return { headersMs, requestMs };
}

function searchQueue(env: Env): ServiceConfig['search'] {
  const timeoutMs = int(env, 'SEARCH_TIMEOUT_MS', 5_000, 10, 600_000);
  const wedgedMs = int(env, 'POOL_WEDGED_MS', Math.max(30_000, 2 * timeoutMs), 100, 3_600_000);
  return {
    timeoutMs,
    queueQueries: int(env, 'SEARCH_QUEUE_QUERIES', 20_000, 1, 10_000_000),
    queueWaitMs: int(env, 'SEARCH_QUEUE_WAIT_MS', 1_000, 1, 600_000),
    wedgedMs,
  };
}

/** Reads and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): ServiceConfig {
  const region = str(env, 'REGION') ?? 'local';
  if (!/^[a-z0-9-]{1,50}$/.test(region)) throw new ConfigError('REGION', `must be a region name like us-central1, got "${region}"`);
  const m = int(env, 'HNSW_M', 32, 2, 128);
  const efConstruction = int(env, 'HNSW_EF_CONSTRUCTION', 200, 10, 4096);
  const efSearch = int(env, 'HNSW_EF_SEARCH', 100, 1, 4096);
  const dbHost = str(env, 'DB_HOST') ?? '127.0.0.1';
  const bucket = str(env, 'STORAGE_BUCKET');
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError('STORAGE_BUCKET', `is not a valid bucket name: "${bucket}"`);
  }
  const topic = str(env, 'PUBSUB_TOPIC');
  let projectId = str(env, 'GOOGLE_CLOUD_PROJECT') ?? str(env, 'PUBSUB_PROJECT_ID');
  if (topic !== undefined) {
    const full = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(topic);
    if (full) projectId = full[1];
    else if (!/^[A-Za-z][\w.~+%-]{2,254}$/.test(topic)) {
      throw new ConfigError('PUBSUB_TOPIC', `must be projects/PROJECT/topics/NAME or a topic id, got "${topic}"`);
    }
    else if (projectId === undefined) throw new ConfigError('GOOGLE_CLOUD_PROJECT', 'must be set when PUBSUB_TOPIC is a bare topic id');
  }
  const jwksUrl = str(env, 'PUBSUB_JWKS_URL') ?? 'https://www.googleapis.com/oauth2/v3/certs';
  try {
    new URL(jwksUrl);
  } catch {
    throw new ConfigError('PUBSUB_JWKS_URL', `is not a URL: "${jwksUrl}"`);
  }
  const storageEmu = str(env, 'STORAGE_EMULATOR_HOST');
  const pubsubEmu = str(env, 'PUBSUB_EMULATOR_HOST');
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    region,
    logLevel: logLevel(env),
    hnsw: { m, efConstruction, efSearch, build: hnswBuild(env) },
    quantization: bool(env, 'QUANTIZATION_ENABLED', false),
    cacheSizeGb: num(env, 'CACHE_SIZE_GB', 1, 0),
    // One replica per vCPU: the main thread's HTTP work shares the cores (see service/README.md).
    searchWorkers: int(env, 'SEARCH_WORKERS', availableParallelism(), 1, 256),
    redis: {
      host: str(env, 'REDIS_HOST') ?? '127.0.0.1',
      port: int(env, 'REDIS_PORT', 6379, 1, 65535),
      keyPrefix: str(env, 'REDIS_KEY_PREFIX') ?? '',
      password: str(env, 'REDIS_PASSWORD'),
    },
    db: {
      host: dbHost,
      port: int(env, 'DB_PORT', 5432, 1, 65535),
      database: str(env, 'DB_NAME') ?? 'ruvector',
      user: str(env, 'DB_USER') ?? 'postgres',
      password: str(env, 'DB_PASSWORD'),
      timeouts: dbTimeouts(env),
    },
    storage: {
      bucket,
      apiEndpoint: storageEmu === undefined ? undefined : storageEmu.startsWith('http') ? storageEmu : `http://${storageEmu}`,
      shardSize: int(env, 'SNAPSHOT_SHARD_SIZE', 10_000_000, 1, 100_000_000),
      snapshotIntervalSec: int(env, 'SNAPSHOT_INTERVAL_SECONDS', 3600, 0, 7 * 86400),
    },
    pubsub: { topic, apiEndpoint: pubsubEmu, projectId },
    push: {
      jwksUrl,
      audience: str(env, 'PUSH_AUDIENCE'),
      serviceAccount: str(env, 'PUSH_SERVICE_ACCOUNT'),
      issuers: (str(env, 'PUSH_ISSUERS') ?? 'https://accounts.google.com,accounts.google.com').split(',').map((s) => s.trim()),
    },
    apiKey: str(env, 'RUVECTOR_API_KEY'),
    rateLimit: { perWindow: int(env, 'RATE_LIMIT_PER_MINUTE', 6000, 1, 1e9), windowSec: 60 },
    limits: {
      bodyBytes: int(env, 'MAX_BODY_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      queryBodyBytes: int(env, 'MAX_QUERY_BODY_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxK: int(env, 'MAX_K', 1000, 1, 100_000),
      maxBatch: int(env, 'MAX_BATCH', 10_000, 1, 1_000_000),
      maxQueries: int(env, 'MAX_QUERIES', 1000, 1, 1_000_000),
      maxResults: int(env, 'MAX_RESULTS', 100_000, 1, 100_000_000),
      maxDimension: int(env, 'MAX_DIMENSION', 65_536, 1, 1_000_000),
      filter: {
        depth: int(env, 'MAX_FILTER_DEPTH', MAX_FILTER_DEPTH, 1, 1000),
        conditions: int(env, 'MAX_FILTER_CONDITIONS', DEFAULT_FILTER_LIMITS.conditions, 1, 1_000_000),
        values: int(env, 'MAX_MATCH_VALUES', DEFAULT_FILTER_LIMITS.values, 1, 10_000_000),
      },
    },
    receive: receiveTimeouts(env),
    search: searchQueue(env),
    pollIntervalMs: int(env, 'CHANGEFEED_POLL_MS', 1000, 0, 3_600_000),
    replicationSweepMs: int(env, 'REPLICATION_SWEEP_MS', 15_000, 0, 3_600_000),
    maxClockSkewMs: int(env, 'MAX_CLOCK_SKEW_MS', 300_000, 0, 86_400_000),
    // Longer than Pub/Sub's longest message retention (7 days): see VectorStore.purgeTombstones.
    tombstoneRetentionDays: int(env, 'TOMBSTONE_RETENTION_DAYS', 8, 1, 3650),
    searchCache: searchCacheMode(env),
    trustedProxyHops: int(env, 'TRUSTED_PROXY_HOPS', 1, 0, 10),
    drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_MS', 10_000, 0, 300_000),
  };
}
