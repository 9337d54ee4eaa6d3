import pg from 'pg';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import { MIGRATIONS } from './migrations.js';
import { markPostgres } from './outage.js';

const MIGRATION_LOCK = 0x52555653; // "RUVS"

const QUERY_READ_TIMEOUT = 'Query read timeout';

type Method = (...args: unknown[]) => unknown;

/** Calls onError with the error of a callback- or promise-style call, leaving the caller's handling as it was. */
function watch(method: Method, self: object, args: unknown[], onError: (e: unknown) => void): unknown {
  const last = args.at(-1);
  if (typeof last === 'function') {
    args[args.length - 1] = (err: unknown, ...rest: unknown[]) => {
      if (err) onError(err);
      (last as Method)(err, ...rest);
    };
  }
  const out = method.apply(self, args);
  if (out instanceof Promise) out.catch(onError);
  return out;
}

/**
 * A client that marks its errors as Postgres's (so a refused or reset connection is told
 * apart from any other socket error: store/outage.ts), and whose connection is dropped when a
 * query outlives query_timeout. pg only stops waiting: the query stays active on the
 * connection, so what the caller sends next (the ROLLBACK of its transaction) would queue
 * behind it and time out in turn, and the pool would hand the wedged connection to the next
 * request. Ending it fails those at once and the pool discards it (pg's end() destroys the
 * socket of a client with a query in flight).
 */
class BoundedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const onError = (e: unknown) => {
      markPostgres(e);
      if (e instanceof Error && e.message === QUERY_READ_TIMEOUT) void this.end().catch(() => {});
    };
    for (const name of ['query', 'connect'] as const) {
      const method = pg.Client.prototype[name] as unknown as Method;
      (this as unknown as Record<string, Method>)[name] = (...args: unknown[]) => watch(method, this, args, onError);
    }
  }
}

/**
 * The service's Postgres pools. `requests` serves the API, the change feed and replication:
 * every statement and every wait is bounded (DB_*_TIMEOUT_MS), so a stalled or unreachable
 * Postgres fails a request in seconds (a 503) instead of holding it. `maintenance` runs the
 * background work that may legitimately take minutes (migrations, snapshots, partitions,
 * the analytics view, tombstone purges), bounded by DB_MAINTENANCE_TIMEOUT_MS instead.
 */
export function createPool(cfg: ServiceConfig['db'], purpose: 'requests' | 'maintenance' = 'requests'): pg.Pool {
  const t = cfg.timeouts;
  const statementMs = purpose === 'requests' ? t.statementMs : t.maintenanceMs;
  // The client's timer a little after the server's, so the server's cancel normally wins.
  const queryMs = purpose === 'requests' ? t.queryMs : t.maintenanceMs === 0 ? 0 : t.maintenanceMs + 2000;
  const pool = new pg.Pool({
    Client: BoundedClient,
    // A DB_HOST starting with "/" is a socket directory (Cloud Run's /cloudsql/PROJECT:REGION:INSTANCE).
    host: cfg.host,
    port: cfg.port,
    database: cfg.database,
    user: cfg.user,
    password: cfg.password,
    application_name: `ruvector-${purpose}`,
    max: purpose === 'requests' ? 10 : 4,
    connectionTimeoutMillis: t.connectMs,
    idleTimeoutMillis: t.idleMs,
    ...(statementMs > 0 ? { statement_timeout: statementMs } : {}),
    ...(queryMs > 0 ? { query_timeout: queryMs } : {}),
    // A snapshot holds its transaction open while it uploads each shard: only requests are held to the short limit.
    ...(purpose === 'requests' && t.idleInTransactionMs > 0 ? { idle_in_transaction_session_timeout: t.idleInTransactionMs } : {}),
    // A peer that vanished without a FIN (a failover, a dropped NAT mapping) is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** A Cloud SQL read replica (tier-2 regions): reads only, its schema comes from the primary. */
export async function isReadOnly(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ ro: boolean }>("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS ro");
  return rows[0]?.ro === true;
}

/** Postgres SQLSTATE for a write attempted on a read-only connection. */
export const READ_ONLY_SQLSTATE = '25006';

export async function migrate(pool: pg.Pool, log: Logger): Promise<number> {
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (await isReadOnly(pool)) {
    // A replica cannot migrate: wait (the caller retries) until the primary's migrations arrive.
    const { rows } = await pool
      .query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
      .catch(() => ({ rows: [{ v: null }] }));
    const have = rows[0]?.v ?? 0;
    if (have < latest) throw new Error(`read replica: waiting for the primary to apply migration ${latest} (replica has ${have})`);
    log.info({ version: have }, 'read replica: schema is current; writes go to a primary region');
    return have;
  }
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    let applied = 0;
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`);
      }
      log.info({ version: m.version, name: m.name }, 'applied migration');
      applied++;
    }
    return MIGRATIONS.at(-1)?.version ?? 0;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}

function monthStart(d: Date, plus: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));
}

/** Monthly query_analytics partitions for this month and the next two (the seed's cron job). */
export async function ensurePartitions(pool: pg.Pool, now = new Date()): Promise<void> {
  if (await isReadOnly(pool)) return; // the primary maintains partitions; a replica sees them
  for (let i = 0; i < 3; i++) {
    const from = monthStart(now, i);
    const to = monthStart(now, i + 1);
    const name = `query_analytics_${from.getUTCFullYear()}_${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    try {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF query_analytics_partitioned FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
    } catch (e) {
      // Rows already in the default partition for that range block creation; they stay queryable there.
      const msg = (e as Error).message;
      if (!/default partition|already exists|duplicate key/.test(msg)) throw e;
    }
  }
}
