import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Metric } from '../vectors/metric.js';
import type { Payload } from '../vectors/filter.js';
import * as drops from './drops.js';

/** Durable storage of collections and vectors in Postgres: the source of truth. */
export interface CollectionRow {
  name: string;
  uid: string;
  dimension: number;
  metric: Metric;
}

/**
 * A last-writer-wins version (version_ts, a Postgres bigint; Unix ms unless a row was written
 * past the clock). A bigint here so versions compare exactly: a double cannot tell
 * 2^53 from 2^53 + 1, and a row whose versions went past 2^53 would never be indexed again.
 */
export type Version = bigint;

/** A change-feed position (vector_metadata.seq, a Postgres bigint), exact for the same reason. */
export type Seq = bigint;

export interface VectorRow {
  collection: string;
  id: string;
  vector: Float32Array | null;
  metadata: Payload | null;
  deleted: boolean;
  versionTs: Version;
  region: string;
  seq: Seq;
  settled: boolean;
}

/** A change feed entry: which row changed and to which version, not its contents. */
export type ChangeHead = Pick<VectorRow, 'collection' | 'id' | 'deleted' | 'versionTs' | 'seq' | 'settled'>;

export interface WriteItem {
  id: string;
  vector: Float32Array;
  metadata: Payload | null;
}

/**
 * vector_metadata.storage_path: where other regions read a row's vector. A write starts as
 * PENDING when cross-region replication is on (the outbox, see replication/shipper.ts) and
 * becomes gs://BUCKET/OBJECT#RECORD once its RUVS batch is stored and announced; LOCAL when
 * this region replicates to no one; ANNOUNCED_DELETE for a tombstone other regions were told of.
 */
export const StoragePath = {
  LOCAL: 'postgres:vector_metadata.vector',
  PENDING: 'pending',
  ANNOUNCED_DELETE: 'announced:delete',
} as const;

/** A row another region wrote, as its VectorUpdate and RUVS record describe it. */
export interface ReplicatedRow {
  id: string;
  versionTs: Version;
  region: string;
  /** null for a delete. */
  vector: Float32Array | null;
  metadata: Payload | null;
  storagePath: string;
}

export function vectorBytes(v: Float32Array): Buffer {
  // Float32Array is little-endian on every platform Node runs on in practice (x86, arm64).
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function bytesVector(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export function checksum(v: Float32Array): string {
  return createHash('sha256').update(vectorBytes(v)).digest('hex');
}

/** Rows newer than this are re-read by the change feed (a concurrent writer may commit a lower seq later). */
const SETTLE_SECONDS = 5;

/**
 * The change-feed position a consistent reader (a snapshot, in its REPEATABLE READ
 * transaction) holds everything up to, as the change feed's own watermark: the last seq
 * before the first row changed within SETTLE_SECONDS. Not max(seq): a write that took a lower
 * seq and commits after the reader's view was taken would be in neither the snapshot nor
 * the replay after it.
 */
export async function settledSeq(client: pg.ClientBase): Promise<Seq> {
  const { rows } = await client.query<{ s: string }>(
    `WITH unsettled AS (SELECT min(seq) AS s FROM vector_metadata WHERE updated_at >= NOW() - make_interval(secs => $1))
     SELECT COALESCE(max(v.seq), 0)::text AS s FROM vector_metadata v, unsettled u WHERE u.s IS NULL OR v.seq < u.s`,
    [SETTLE_SECONDS],
  );
  return BigInt(rows[0]?.s ?? 0);
}

export class VectorStore {
  constructor(readonly pool: pg.Pool) {}

  async listCollections(): Promise<CollectionRow[]> {
    const { rows } = await this.pool.query<{ name: string; uid: string; dimension: number; metric: Metric }>(
      'SELECT name, uid::text AS uid, dimension, metric FROM collections ORDER BY name',
    );
    return rows;
  }

  /**
   * Returns the row, or undefined when a collection with that name already exists. A name
   * dropped before is created newer than its drop whatever the clocks, so the other regions
   * take the new collection for what it is (see drops.ts).
   */
  async createCollection(name: string, dimension: number, metric: Metric): Promise<CollectionRow | undefined> {
    const { rows } = await this.pool.query<CollectionRow>(
      `INSERT INTO collections (name, dimension, metric, created_ts)
       SELECT $1::text, $2, $3, GREATEST((extract(epoch FROM clock_timestamp()) * 1000)::bigint,
         COALESCE((SELECT version_ts + 1 FROM collection_tombstones WHERE name = $1::text), 0))
       ON CONFLICT (name) DO NOTHING RETURNING name, uid::text AS uid, dimension, metric`,
      [name, dimension, metric],
    );
    return rows[0];
  }

  /**
   * Its vectors go with it (ON DELETE CASCADE), so a write racing the drop cannot leave orphans
   * behind; the name keeps a tombstone (drops.ts). Returns the drop's version, or undefined
   * when there was no such collection. pending: other regions are still to be told.
   */
  dropCollection(name: string, region: string, ts: number, pending: boolean): Promise<Version | undefined> {
    return drops.dropLocal(this.pool, name, region, ts, pending);
  }

  /** Another region's drop: see drops.applyDrop. */
  applyDrop(name: string, ts: Version, region: string): Promise<drops.DropResult> {
    return drops.applyDrop(this.pool, name, ts, region);
  }

  /** A collection created by another region's write at ts; 'dropped' when a drop here is newer. */
  createReplicatedCollection(name: string, dimension: number, metric: Metric, ts: Version): Promise<CollectionRow | 'dropped' | undefined> {
    return drops.createReplicated(this.pool, name, dimension, metric, ts);
  }

  collectionTombstone(name: string): Promise<Version | undefined> {
    return drops.tombstone(this.pool, name);
  }

  pendingDrops(region: string, olderThanSec: number): Promise<{ name: string; ts: Version }[]> {
    return drops.pendingDrops(this.pool, region, olderThanSec);
  }

  markDropAnnounced(name: string, ts: Version): Promise<void> {
    return drops.markDropAnnounced(this.pool, name, ts);
  }

  /**
   * Upserts and commits before returning: the reply to the client is sent only after this
   * resolves, which is what makes a 2xx survive kill -9. The primary orders writes to a row:
   * its version becomes max(ts, previous + 1), so a write accepted later always carries the
   * larger version even across instances with skewed clocks. Returns id -> version.
   */
  async upsert(collection: string, dimension: number, region: string, ts: number, items: WriteItem[], storagePath: string = StoragePath.LOCAL): Promise<Map<string, Version>> {
    if (items.length === 0) return new Map();
    const ids = items.map((i) => i.id);
    const metas = items.map((i) => (i.metadata === null ? null : JSON.stringify(i.metadata)));
    const vecs = items.map((i) => vectorBytes(i.vector));
    const sums = items.map((i) => checksum(i.vector));
    const { rows } = await this.pool.query<{ id: string; version_ts: string }>(
      `INSERT INTO vector_metadata (collection, id, dimension, metadata, region, storage_path, checksum, vector, deleted, version_ts)
       SELECT $1::text, u.id, $2, u.meta::jsonb, $3, $4, u.sum, u.vec, FALSE,
         -- above the collection's last drop, so no region takes the new point for a dropped one
         GREATEST($5::bigint, COALESCE((SELECT t.version_ts + 1 FROM collection_tombstones t WHERE t.name = $1::text), 0))
       FROM unnest($6::text[], $7::text[], $8::bytea[], $9::text[]) AS u(id, meta, vec, sum)
       ON CONFLICT (collection, id) DO UPDATE SET
         dimension = EXCLUDED.dimension, metadata = EXCLUDED.metadata, region = EXCLUDED.region,
         storage_path = EXCLUDED.storage_path, checksum = EXCLUDED.checksum, vector = EXCLUDED.vector,
         deleted = FALSE, version_ts = GREATEST(EXCLUDED.version_ts, vector_metadata.version_ts + 1),
         updated_at = NOW(), seq = nextval('vector_metadata_seq')
       RETURNING id, version_ts::text AS version_ts`,
      [collection, dimension, region, storagePath, ts, ids, metas, vecs, sums],
    );
    return new Map(rows.map((r) => [r.id, BigInt(r.version_ts)]));
  }

  /** Deletes leave a tombstone so that a late, older write from another region cannot resurrect the vector. */
  async delete(collection: string, region: string, ts: number, ids: string[], storagePath: string = StoragePath.LOCAL): Promise<Map<string, Version>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; version_ts: string }>(
      `UPDATE vector_metadata SET deleted = TRUE, vector = NULL, metadata = NULL, region = $2, storage_path = $5,
         version_ts = GREATEST($3, version_ts + 1), updated_at = NOW(), seq = nextval('vector_metadata_seq')
       WHERE collection = $1 AND id = ANY($4::text[]) AND deleted = FALSE
       RETURNING id, version_ts::text AS version_ts`,
      [collection, region, ts, ids, storagePath],
    );
    return new Map(rows.map((r) => [r.id, BigInt(r.version_ts)]));
  }

  /** The current rows of these ids; tombstones only when asked for. */
  async get(collection: string, ids: string[], tombstones = false): Promise<VectorRow[]> {
    const { rows } = await this.pool.query(
      `SELECT collection, id, vector, metadata, deleted, version_ts::text AS version_ts, region, seq::text AS seq, TRUE AS settled
       FROM vector_metadata WHERE collection = $1 AND id = ANY($2::text[]) AND (deleted = FALSE OR $3)`,
      [collection, ids, tombstones],
    );
    return rows.map(toRow);
  }

  /**
   * One page of the change feed: which rows (tombstones too) changed after seq `after`, in seq
   * order, without their vectors and metadata. The feed re-reads the last SETTLE_SECONDS of
   * changes on every poll and most of them are already applied (an instance's own writes, all
   * of them), so contents are fetched (get()) only for what is news to this instance.
   *
   * ORDER BY names the table's column (v.seq): a bare `seq` would be the text output column,
   * and pages cut in text order ("10000" < "9999") make the cursor jump past rows never read.
   */
  async changesSince(after: Seq, limit: number): Promise<ChangeHead[]> {
    const { rows } = await this.pool.query<{ collection: string; id: string; deleted: boolean; version_ts: string; seq: string; settled: boolean }>(
      `SELECT v.collection, v.id, v.deleted, v.version_ts::text AS version_ts, v.seq::text AS seq,
              v.updated_at < NOW() - make_interval(secs => $3) AS settled
       FROM vector_metadata v WHERE v.seq > $1::bigint ORDER BY v.seq LIMIT $2`,
      [after.toString(), limit, SETTLE_SECONDS],
    );
    return rows.map((r) => ({ collection: r.collection, id: r.id, deleted: r.deleted, versionTs: BigInt(r.version_ts), seq: BigInt(r.seq), settled: r.settled }));
  }

  /** How many rows the change feed has after `after` (an index-only scan of the seq index). */
  async countSince(after: Seq): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM vector_metadata WHERE seq > $1::bigint', [after.toString()]);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Writes another region's rows, last writer wins: a row only replaces one with an older
   * version, and a row older than the collection's last drop is not written, so redelivered
   * and out-of-order messages are harmless. Returns the ids written. Throws SQLSTATE 23503 when
   * the collection was dropped meanwhile.
   */
  async applyReplicated(collection: string, dimension: number, rows: ReplicatedRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    // The shared lock orders this against a concurrent drop (drops.ts): either the drop sees the row, or this sees the drop.
    const { rows: out } = await drops.withCollectionLock(this.pool, collection, false, (c) => c.query<{ id: string }>(
      `INSERT INTO vector_metadata (collection, id, dimension, metadata, region, storage_path, checksum, vector, deleted, version_ts)
       SELECT $1::text, u.id, $2, u.meta::jsonb, u.region, u.path, u.sum, u.vec, u.vec IS NULL, u.ver
       FROM unnest($3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::text[], $9::bigint[]) AS u(id, meta, vec, sum, region, path, ver)
       WHERE u.ver >= COALESCE((SELECT t.version_ts FROM collection_tombstones t WHERE t.name = $1::text), -1)
       ON CONFLICT (collection, id) DO UPDATE SET
         dimension = EXCLUDED.dimension, metadata = EXCLUDED.metadata, region = EXCLUDED.region,
         storage_path = EXCLUDED.storage_path, checksum = EXCLUDED.checksum, vector = EXCLUDED.vector,
         deleted = EXCLUDED.deleted, version_ts = EXCLUDED.version_ts, updated_at = NOW(), seq = nextval('vector_metadata_seq')
       WHERE vector_metadata.version_ts < EXCLUDED.version_ts
       RETURNING id`,
      [
        collection,
        dimension,
        rows.map((r) => r.id),
        rows.map((r) => (r.metadata === null ? null : JSON.stringify(r.metadata))),
        rows.map((r) => (r.vector ? vectorBytes(r.vector) : null)),
        rows.map((r) => (r.vector ? checksum(r.vector) : null)),
        rows.map((r) => r.region),
        rows.map((r) => r.storagePath),
        rows.map((r) => r.versionTs.toString()),
      ],
    ));
    return new Set(out.map((r) => r.id));
  }

  /**
   * The outbox: this region's writes not yet announced, old enough that their writer has given
   * up on them, oldest first (v.seq, the bigint: see changesSince).
   */
  async pending(region: string, olderThanSec: number, limit: number): Promise<VectorRow[]> {
    const { rows } = await this.pool.query(
      `SELECT v.collection, v.id, v.vector, v.metadata, v.deleted, v.version_ts::text AS version_ts, v.region, v.seq::text AS seq, TRUE AS settled
       FROM vector_metadata v WHERE v.storage_path = 'pending' AND v.region = $1 AND v.updated_at < NOW() - make_interval(secs => $2)
       ORDER BY v.seq LIMIT $3`,
      [region, olderThanSec, limit],
    );
    return rows.map(toRow);
  }

  /** Records where announced rows can be read; a row rewritten since keeps its newer state. */
  async markAnnounced(collection: string, items: { id: string; versionTs: Version; storagePath: string }[]): Promise<void> {
    if (items.length === 0) return;
    await this.pool.query(
      `UPDATE vector_metadata v SET storage_path = u.path
       FROM unnest($2::text[], $3::bigint[], $4::text[]) AS u(id, ver, path)
       WHERE v.collection = $1 AND v.id = u.id AND v.version_ts = u.ver AND v.storage_path = 'pending'`,
      [collection, items.map((i) => i.id), items.map((i) => i.versionTs.toString()), items.map((i) => i.storagePath)],
    );
  }

  /** The row including a tombstone, for replication. */
  async row(collection: string, id: string): Promise<VectorRow | undefined> {
    const { rows } = await this.pool.query(
      `SELECT collection, id, vector, metadata, deleted, version_ts::text AS version_ts, region, seq::text AS seq, TRUE AS settled
       FROM vector_metadata WHERE collection = $1 AND id = $2`,
      [collection, id],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /**
   * Removes tombstones, of points and of dropped collections, older than the retention. They
   * exist so a late, older write from another region cannot resurrect a deleted point or
   * collection; past Pub/Sub's longest message retention (7 days) no such write can still be
   * in flight. Announced ones only.
   */
  async purgeTombstones(retentionDays: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM vector_metadata WHERE deleted AND storage_path <> 'pending' AND updated_at < NOW() - make_interval(days => $1)`,
      [retentionDays],
    );
    const c = await this.pool.query(
      'DELETE FROM collection_tombstones WHERE NOT pending AND dropped_at < NOW() - make_interval(days => $1)',
      [retentionDays],
    );
    return (r.rowCount ?? 0) + (c.rowCount ?? 0);
  }

  async maxSeq(): Promise<Seq> {
    const { rows } = await this.pool.query<{ s: string | null }>('SELECT max(seq)::text AS s FROM vector_metadata');
    return BigInt(rows[0]?.s ?? 0);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}

export function toRow(r: Record<string, unknown>): VectorRow {
  return {
    collection: r.collection as string,
    id: r.id as string,
    vector: r.vector ? bytesVector(r.vector as Buffer) : null,
    metadata: (r.metadata as Payload | null) ?? null,
    deleted: r.deleted as boolean,
    versionTs: BigInt(r.version_ts as string),
    region: r.region as string,
    seq: BigInt(r.seq as string),
    settled: r.settled as boolean,
  };
}
