import pg from 'pg';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import { MIGRATIONS } from './migrations.js';

const MIGRATION_LOCK = 0x52555653; // "RUVS"

export function createPool(cfg: ServiceConfig['db']): pg.Pool {
  const pool = new pg.Pool({
    // A DB_HOST starting with "/" is a socket directory (Cloud Run's /cloudsql/PROJECT:REGION:INSTANCE).
    host: cfg.host,
    port: cfg.port,
    database: cfg.database,
    user: cfg.user,
    password: cfg.password,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
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
