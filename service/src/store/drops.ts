import type pg from 'pg';
import type { Metric } from '../vectors/metric.js';
import type { CollectionRow, Version, VectorRow } from './vectors.js';
import { StoragePath, toRow } from './vectors.js';

/**
 * Collection drops, last writer wins (service/README.md, Replication). A drop at version T
 * deletes every point of the collection with a version below T and leaves a tombstone
 * (collection_tombstones) so an update older than T cannot re-create the collection; a create
 * or write at T or later can (a tie goes to the write, whichever arrives first, so regions
 * agree). The collection itself goes only when everything in it, its creation included, is
 * older than T; otherwise only the older points become tombstones.
 */

/** Advisory lock namespace: serialises a drop against creates and writes of the same name. */
const LOCK_NS = 0x52555654;

export type DropResult =
  | { result: 'stale' | 'absent' | 'dropped' }
  | { result: 'trimmed'; rows: VectorRow[] };

/**
 * Runs fn in a transaction holding the name's lock: exclusive for drops, shared for creates and
 * writes. The lock is taken by its own statement first so that fn's statements (READ COMMITTED)
 * see a drop that committed while they waited.
 */
export async function withCollectionLock<T>(pool: pg.Pool, name: string, exclusive: boolean, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(exclusive ? 'SELECT pg_advisory_xact_lock($1, hashtext($2))' : 'SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', [LOCK_NS, name]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/**
 * This region's drop. Its version is above everything the collection holds (as a point write's
 * is above the point's previous version), so the drop covers every point whatever the clocks.
 * Returns that version, or undefined when there was no such collection.
 */
export function dropLocal(pool: pg.Pool, name: string, region: string, ts: number, pending: boolean): Promise<Version | undefined> {
  return withCollectionLock(pool, name, true, async (c) => {
    // FOR UPDATE waits for in-flight writes (their foreign-key check holds the row), and the next
    // statement's snapshot then sees them.
    const found = await c.query<{ created_ts: string }>('SELECT created_ts::text AS created_ts FROM collections WHERE name = $1 FOR UPDATE', [name]);
    if (!found.rows[0]) return undefined;
    const { rows } = await c.query<{ ts: string }>(
      `SELECT GREATEST($2::bigint, $3::bigint + 1,
         COALESCE((SELECT max(version_ts) + 1 FROM vector_metadata WHERE collection = $1), 0),
         COALESCE((SELECT version_ts + 1 FROM collection_tombstones WHERE name = $1), 0))::text AS ts`,
      [name, ts, found.rows[0].created_ts],
    );
    const version = BigInt(rows[0]!.ts);
    await c.query('DELETE FROM collections WHERE name = $1', [name]);
    await upsertTombstone(c, name, version, region, pending);
    return version;
  });
}

async function upsertTombstone(c: pg.PoolClient, name: string, ts: Version, region: string, pending: boolean): Promise<boolean> {
  const r = await c.query(
    `INSERT INTO collection_tombstones (name, version_ts, region, pending) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET version_ts = EXCLUDED.version_ts, region = EXCLUDED.region, pending = EXCLUDED.pending, dropped_at = NOW()
     WHERE collection_tombstones.version_ts < EXCLUDED.version_ts`,
    [name, ts.toString(), region, pending],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Another region's drop at version ts. 'trimmed' returns the points it turned into tombstones. */
export function applyDrop(pool: pg.Pool, name: string, ts: Version, region: string): Promise<DropResult> {
  return withCollectionLock(pool, name, true, async (c): Promise<DropResult> => {
    // A newer drop already here covers everything this one would.
    if (!(await upsertTombstone(c, name, ts, region, false))) return { result: 'stale' };
    const found = await c.query<{ created_ts: string }>('SELECT created_ts::text AS created_ts FROM collections WHERE name = $1 FOR UPDATE', [name]);
    if (!found.rows[0]) return { result: 'absent' };
    const newest = await c.query<{ v: string | null }>('SELECT max(version_ts)::text AS v FROM vector_metadata WHERE collection = $1', [name]);
    if (BigInt(found.rows[0].created_ts) < ts && BigInt(newest.rows[0]?.v ?? 0) < ts) {
      await c.query('DELETE FROM collections WHERE name = $1', [name]);
      return { result: 'dropped' };
    }
    const { rows } = await c.query(
      `UPDATE vector_metadata SET deleted = TRUE, vector = NULL, metadata = NULL, checksum = NULL, region = $3, storage_path = $4,
         version_ts = $2, updated_at = NOW(), seq = nextval('vector_metadata_seq')
       WHERE collection = $1 AND version_ts < $2 AND NOT deleted
       RETURNING collection, id, vector, metadata, deleted, version_ts::text AS version_ts, region, seq::text AS seq, TRUE AS settled`,
      [name, ts.toString(), region, StoragePath.ANNOUNCED_DELETE],
    );
    return { result: 'trimmed', rows: rows.map(toRow) };
  });
}

/**
 * Creates a collection on receipt of another region's write at version ts, unless a drop
 * newer than ts covers it. Undefined when the collection exists already.
 */
export function createReplicated(pool: pg.Pool, name: string, dimension: number, metric: Metric, ts: Version): Promise<CollectionRow | 'dropped' | undefined> {
  return withCollectionLock(pool, name, false, async (c) => {
    const t = await c.query<{ v: string }>('SELECT version_ts::text AS v FROM collection_tombstones WHERE name = $1', [name]);
    if (t.rows[0] && BigInt(t.rows[0].v) > ts) return 'dropped';
    const { rows } = await c.query<CollectionRow>(
      `INSERT INTO collections (name, dimension, metric, created_ts) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name, uid::text AS uid, dimension, metric`,
      [name, dimension, metric, ts.toString()],
    );
    return rows[0];
  });
}

/** The version of the newest drop of this name, if any: writes older than it are covered by it. */
export async function tombstone(pool: pg.Pool, name: string): Promise<Version | undefined> {
  const { rows } = await pool.query<{ v: string }>('SELECT version_ts::text AS v FROM collection_tombstones WHERE name = $1', [name]);
  return rows[0] ? BigInt(rows[0].v) : undefined;
}

/** This region's drops not yet announced, old enough that their writer has given up on them. */
export async function pendingDrops(pool: pg.Pool, region: string, olderThanSec: number): Promise<{ name: string; ts: Version }[]> {
  const { rows } = await pool.query<{ name: string; v: string }>(
    `SELECT name, version_ts::text AS v FROM collection_tombstones
     WHERE pending AND region = $1 AND dropped_at < NOW() - make_interval(secs => $2) ORDER BY dropped_at LIMIT 1000`,
    [region, olderThanSec],
  );
  return rows.map((r) => ({ name: r.name, ts: BigInt(r.v) }));
}

export async function markDropAnnounced(pool: pg.Pool, name: string, ts: Version): Promise<void> {
  await pool.query('UPDATE collection_tombstones SET pending = FALSE WHERE name = $1 AND version_ts = $2', [name, ts.toString()]);
}
