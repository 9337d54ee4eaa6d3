import { availableParallelism } from 'node:os';
import type { HnswBuildChoice } from './index/hnswlib.js';

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
  db: { host: string; port: number; database: string; user: string; password?: string };
  storage: { bucket?: string; apiEndpoint?: string; shardSize: number; snapshotIntervalSec: number };
  pubsub: { topic?: string; apiEndpoint?: string; projectId?: string };
  /** How often the outbox sweep re-ships writes left pending (0 = never). */
  replicationSweepMs: number;
  /** How far ahead of this clock a replicated update's timestamp (its version) may be. */
  maxClockSkewMs: number;
  tombstoneRetentionDays: number;
  push: { jwksUrl: string; audience?: string; serviceAccount?: string; issuers: string[] };
  apiKey?: string;
  rateLimit: { perWindow: number; windowSec: number };
  limits: { bodyBytes: number; maxK: number; maxBatch: number; maxDimension: number };
  pollIntervalMs: number;
  /** Proxies in front of us that append to X-Forwarded-For (Cloud Run's front end: 1; behind the global LB: 2). */
  trustedProxyHops: number;
  /** Which searches use the Redis search cache: by-id (query_vector_id), all, or off. */
  searchCache: 'by-id' | 'all' | 'off';
  drainTimeoutMs: number;
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
      maxK: int(env, 'MAX_K', 1000, 1, 100_000),
      maxBatch: int(env, 'MAX_BATCH', 10_000, 1, 1_000_000),
      maxDimension: int(env, 'MAX_DIMENSION', 65_536, 1, 1_000_000),
    },
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
