import type { Storage } from '@google-cloud/storage';
import type { Logger } from 'pino';
import type { Engine } from '../engine.js';
import { HttpError } from '../errors.js';
import { decodeShard, type Shard } from '../snapshot/ruvs.js';
import type { ReplicatedRow, Version, VectorRow } from '../store/vectors.js';
import { StoragePath } from '../store/vectors.js';
import type { UpdateMetadata, VectorUpdate } from './schema.js';

/** Decoded batches kept for the messages that follow: one batch's messages arrive together. */
const SHARD_CACHE = 8;
/** Drops remembered in memory (a read replica's database may not have its primary's tombstone yet). */
const SEEN_DROPS = 10_000;
/** Postgres: the collection row a write refers to is gone (dropped meanwhile). */
const FOREIGN_KEY_VIOLATION = '23503';

export type Outcome = 'applied' | 'stale' | 'no-collection';

/**
 * Why an update's timestamp cannot be applied, or undefined when it can. The timestamp is the
 * version the update writes, and last writer wins for good: a version far in the future would
 * outrank every later write of the point, or for a drop every later write to the collection.
 * Writers stamp versions with their clock, so only so much skew ahead of this region's clock
 * is accepted; an update refused for skew alone is accepted once this clock catches up, if
 * Pub/Sub still redelivers it then.
 */
export function timestampProblem(ts: number, nowMs: number, maxSkewMs: number): string | undefined {
  if (!Number.isSafeInteger(ts) || ts < 0) return `timestamp must be a Unix time in milliseconds, got ${ts}`;
  const ahead = ts - nowMs;
  if (ahead <= maxSkewMs) return undefined;
  return `timestamp ${ts} is ${ahead} ms ahead of this region's clock, more than the ${maxSkewMs} ms accepted (MAX_CLOCK_SKEW_MS); a version from the future would outrank every later write`;
}

export function parseStoragePath(p: string): { bucket: string; object: string; record: number } | undefined {
  const m = /^gs:\/\/([^/]+)\/(.+)#(\d+)$/.exec(p);
  return m ? { bucket: m[1]!, object: m[2]!, record: Number(m[3]) } : undefined;
}

/**
 * Applies another region's VectorUpdate here, idempotently and last writer wins. The vector
 * comes from the writer's RUVS batch in Cloud Storage; a region with a writable primary also
 * stores the row (so its own replicas and restarts have it), a read-replica region indexes it
 * and leaves storing to its primary's region. Throws HttpError: 503 asks Pub/Sub to redeliver
 * later, other 4xx end in the dead-letter topic after the subscription's attempts.
 */
export class Receiver {
  private shards = new Map<string, Promise<Shard>>();
  private seenDrops = new Map<string, Version>();

  constructor(
    private engine: Engine,
    private storage: Storage | undefined,
    private readOnly: () => boolean,
    private log: Logger,
    /** How far ahead of this clock an update's timestamp may be (see timestampProblem). */
    private maxSkewMs: number,
  ) {}

  async apply(u: VectorUpdate, meta: UpdateMetadata): Promise<Outcome> {
    const problem = timestampProblem(u.timestamp, Date.now(), this.maxSkewMs);
    if (problem) throw new HttpError(422, problem);
    const ts: Version = BigInt(u.timestamp);
    if (meta.drop === true) return this.applyDrop(u, ts, meta.collection);
    if (await this.dropCovers(meta.collection, ts)) return 'stale';
    const c = await this.collection(meta, ts, u.operation);
    if (c === 'dropped') return 'stale';
    if (!c) return 'no-collection';
    let row: ReplicatedRow;
    if (u.operation === 'delete') {
      row = { id: u.vector_id, versionTs: ts, region: u.region, vector: null, metadata: null, storagePath: StoragePath.ANNOUNCED_DELETE };
    } else if (meta.storage_path !== undefined) {
      row = await this.fromBatch(u, ts, meta.storage_path, c.dimension);
    } else {
      return this.fromSharedPrimary(u, ts, meta.collection);
    }
    if ((c.ids.get(row.id)?.ts ?? -1n) >= row.versionTs) return 'stale';
    if (!this.readOnly()) {
      const written = await this.engine.store.applyReplicated(c.name, c.dimension, [row]).catch((e: Error & { code?: string }) => {
        // Dropped by a concurrent message: the redelivery finds the tombstone, or creates the collection anew.
        if (e.code === FOREIGN_KEY_VIOLATION) throw new HttpError(503, `collection ${c.name} was dropped while this update was applied`, { 'retry-after': '1' });
        throw e;
      });
      if (!written.has(row.id)) {
        // The database already holds this version or a newer one: index what it holds.
        const current = await this.engine.store.row(c.name, row.id);
        return current && (await this.engine.applyRows([current], true)) > 0 ? 'applied' : 'stale';
      }
    }
    const vr: VectorRow = { collection: c.name, id: row.id, vector: row.vector, metadata: row.metadata, deleted: row.vector === null, versionTs: row.versionTs, region: row.region, seq: 0n, settled: true };
    return (await this.engine.applyRows([vr], true)) > 0 ? 'applied' : 'stale';
  }

  /**
   * Another region dropped the collection at u.timestamp: last writer wins, as for a point. A
   * region with a writable primary drops it there (store/drops.ts: the whole collection when
   * everything in it is older, else the older points) and keeps a tombstone; a read-replica region
   * only takes it out of its index, its primary's region changes the database.
   */
  private async applyDrop(u: VectorUpdate, ts: Version, name: string): Promise<Outcome> {
    this.rememberDrop(name, ts);
    if (this.readOnly()) {
      const c = this.engine.collections.get(name);
      if (!c) return 'applied';
      let newest = -1n;
      for (const e of c.ids.values()) if (e.ts > newest) newest = e.ts;
      const whole = newest < ts;
      if (whole) await this.engine.unloadDropped(name, ts);
      else await this.engine.applyRows([...c.ids].filter(([, e]) => !e.deleted && e.ts < ts).map(([id]) => this.tombstoneRow(name, id, u.region, ts)), true);
      this.log.info({ collection: name, region: u.region, ts: u.timestamp, unloaded: whole }, 'collection dropped by replication (read replica: index only)');
      return 'applied';
    }
    const r = await this.engine.store.applyDrop(name, ts, u.region);
    if (r.result === 'stale') return 'stale';
    if (r.result === 'dropped' && this.engine.collections.has(name)) await this.engine.unloadCollection(name);
    if (r.result === 'trimmed') await this.engine.applyRows(r.rows, true);
    this.log.info({ collection: name, region: u.region, ts: u.timestamp, result: r.result }, 'collection dropped by replication');
    return 'applied';
  }

  private tombstoneRow(collection: string, id: string, region: string, ts: Version): VectorRow {
    return { collection, id, vector: null, metadata: null, deleted: true, versionTs: ts, region, seq: 0n, settled: true };
  }

  private rememberDrop(name: string, ts: Version): void {
    if ((this.seenDrops.get(name) ?? -1n) >= ts) return;
    this.seenDrops.delete(name);
    this.seenDrops.set(name, ts);
    while (this.seenDrops.size > SEEN_DROPS) this.seenDrops.delete(this.seenDrops.keys().next().value!);
  }

  /** True when a drop of the collection newer than ts is known here: the update belongs to what was dropped. */
  private async dropCovers(name: string, ts: Version): Promise<boolean> {
    const held = this.engine.dropHeld(name, ts);
    if ((this.seenDrops.get(name) ?? -1n) > ts || (held ?? -1n) > ts) return true;
    return ((await this.engine.store.collectionTombstone(name)) ?? -1n) > ts;
  }

  /** The local collection, created on first receipt where this region's database is writable. */
  private async collection(meta: UpdateMetadata, ts: Version, operation: VectorUpdate['operation']) {
    const name = meta.collection;
    if (!this.engine.collections.has(name)) await this.engine.syncCollections();
    let c = this.engine.collections.get(name);
    if (!c) {
      if (operation === 'delete') return undefined; // nothing here to delete
      if (meta.dimension === undefined || meta.metric === undefined) return undefined;
      if (this.readOnly()) {
        throw new HttpError(503, `collection ${name} is not in this region's read replica yet; its primary's region creates it`, { 'retry-after': '10' });
      }
      // Its creation's version is the write's: a drop newer than the write still drops it.
      if ((await this.engine.store.createReplicatedCollection(name, meta.dimension, meta.metric, ts)) === 'dropped') return 'dropped';
      await this.engine.syncCollections();
      c = this.engine.collections.get(name);
      if (!c) throw new HttpError(503, `collection ${name} could not be created`, { 'retry-after': '5' });
      this.log.info({ collection: name, dimension: meta.dimension, metric: meta.metric }, 'collection created by replication');
    }
    if (meta.dimension !== undefined && meta.dimension !== c.dimension) {
      throw new HttpError(409, `metadata.dimension: collection ${name} has dimension ${c.dimension} here, ${meta.dimension} in the writer's region`);
    }
    return c;
  }

  private async fromBatch(u: VectorUpdate, ts: Version, path: string, dimension: number): Promise<ReplicatedRow> {
    const loc = parseStoragePath(path);
    if (!loc) throw new HttpError(400, `metadata.storage_path: expected gs://BUCKET/OBJECT#RECORD, got "${path}"`);
    if (!this.storage) throw new HttpError(503, 'metadata.storage_path: STORAGE_BUCKET is not configured here, so Cloud Storage is not reachable', { 'retry-after': '60' });
    const shard = await this.shard(loc.bucket, loc.object);
    const rec = shard.records[loc.record];
    if (!rec || rec.id !== u.vector_id || rec.versionTs !== ts) {
      throw new HttpError(422, `metadata.storage_path: record ${loc.record} of ${loc.object} is not ${u.vector_id} at ${u.timestamp}`);
    }
    if (shard.dimension !== dimension) throw new HttpError(409, `metadata.storage_path: batch has dimension ${shard.dimension}, the collection ${dimension}`);
    return { id: rec.id, versionTs: rec.versionTs, region: u.region, vector: rec.vector, metadata: rec.metadata, storagePath: path };
  }

  private shard(bucket: string, object: string): Promise<Shard> {
    const key = `${bucket}/${object}`;
    let p = this.shards.get(key);
    if (!p) {
      p = this.storage!.bucket(bucket)
        .file(object)
        .download()
        .then(([buf]) => decodeShard(buf))
        .catch((e: Error & { code?: number }) => {
          this.shards.delete(key);
          if (e.code === 404) throw new HttpError(422, `metadata.storage_path: gs://${key} does not exist`);
          throw new HttpError(503, `reading gs://${key}: ${e.message}`, { 'retry-after': '10' });
        });
      this.shards.set(key, p);
      while (this.shards.size > SHARD_CACHE) this.shards.delete(this.shards.keys().next().value!);
    }
    return p;
  }

  /** Messages without a storage path: the row is read from this region's Postgres (a shared primary). */
  private async fromSharedPrimary(u: VectorUpdate, ts: Version, collection: string): Promise<Outcome> {
    const row = await this.engine.store.row(collection, u.vector_id);
    if (!row || row.versionTs < ts) {
      // Our replica of the primary has not caught up yet: a non-2xx makes Pub/Sub redeliver with backoff.
      throw new HttpError(503, `vector ${u.vector_id} at ${u.timestamp} is not visible in the database yet`, { 'retry-after': '10' });
    }
    return (await this.engine.applyRows([row], true)) > 0 ? 'applied' : 'stale';
  }
}
