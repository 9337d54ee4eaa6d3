import { randomBytes } from 'node:crypto';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { Bucket } from '@google-cloud/storage';
import { PassThroughClient } from 'google-auth-library';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { Collection, Engine, WriteEvent } from '../engine.js';
import { StoragePath, type VectorStore } from '../store/vectors.js';
import { Compression, encodeShard } from '../snapshot/ruvs.js';
import { canTravel, encodeUpdate, wireTimestamp, type UpdateMetadata } from './schema.js';

/** Queue size past which new writes wait for the outbox sweep instead (GCS or Pub/Sub is down). */
const MAX_QUEUE = 50_000;
const BATCH = 2000;
const FLUSH_MS = 20;
/** A pending row younger than this may still be in its writer's queue: the sweep leaves it alone. */
const SWEEP_AGE_SEC = 10;
const SWEEP_LOCK = 0x52555652;
const MAX_SWEEP_PAGES = 50;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Where a batch of one collection's writes goes in the writer's bucket (service/FORMAT.md). */
export function batchObjectName(region: string, collection: string, now: Date, firstTs: bigint): string {
  const day = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}`;
  return `replication/${region}/${day}/${encodeURIComponent(collection)}/${firstTs}-${randomBytes(4).toString('hex')}.bin`;
}

/**
 * Announces this region's writes to the others. The VectorUpdate carries no vector: each batch
 * of upserts is stored first as one RUVS object in this region's bucket, and every message
 * names its record (gs://BUCKET/OBJECT#N), so a region with its own Postgres primary can read
 * it. Rows are written as storage_path 'pending' and marked with their gs:// path once the
 * batch is stored and published: that column is the outbox, and a periodic sweep re-ships
 * what a crash or an outage left pending. A collection drop is one message with no record;
 * its tombstone (collection_tombstones.pending) is its outbox entry. Delivery is at least
 * once; receivers apply last writer wins, so duplicates are harmless.
 */
export class Shipper {
  private client: PubSub;
  private topic: Topic;
  private queue: WriteEvent[] = [];
  private timer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private cfg: ServiceConfig,
    private engine: Engine,
    private bucket: Bucket | undefined,
    private log: Logger,
    private onError: () => void,
  ) {
    const p = cfg.pubsub;
    const emu = p.apiEndpoint;
    this.client = emu
      ? new PubSub({ projectId: p.projectId, apiEndpoint: emu, fallback: true, protocol: 'http', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof PubSub>[0])
      : new PubSub({ projectId: p.projectId });
    this.topic = this.client.topic(p.topic!, { batching: { maxMessages: 500, maxMilliseconds: 10 } });
  }

  private get store(): VectorStore {
    return this.engine.store;
  }

  /** Called after each acknowledged write; never blocks the request. */
  enqueue(events: WriteEvent[]): void {
    if (this.closed || events.length === 0) return;
    if (this.queue.length + events.length > MAX_QUEUE) {
      this.log.warn({ queued: this.queue.length }, 'replication queue full; the outbox sweep will ship these writes');
      return;
    }
    this.queue.push(...events);
    if (this.queue.length >= BATCH) this.schedule(0);
    else this.schedule(FLUSH_MS);
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  /** Ships what is queued; one ship at a time so batches leave in write order. */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, BATCH);
        await this.ship(batch).catch((e: Error) => {
          this.onError();
          this.log.warn({ err: e.message, events: batch.length }, 'replication batch failed; left in the outbox for the sweep');
        });
      }
    });
    return this.chain;
  }

  /** Stores, publishes and marks one batch. Throws when any part failed (the rows stay pending). */
  async ship(all: WriteEvent[]): Promise<number> {
    const events = all.filter((e) => canTravel(e.timestamp));
    if (events.length < all.length) await this.notReplicated(all.filter((e) => !canTravel(e.timestamp)));
    const byCollection = new Map<string, WriteEvent[]>();
    const drops: WriteEvent[] = [];
    for (const e of events) {
      if (e.drop) drops.push(e);
      else byCollection.set(e.collection, [...(byCollection.get(e.collection) ?? []), e]);
    }
    // Order does not matter: receivers compare versions, and a drop covers only what is older.
    await Promise.all(drops.map((e) => this.shipDrop(e)));
    let shipped = drops.length;
    for (const [name, group] of byCollection) {
      const c = this.engine.collections.get(name);
      if (!c) continue; // dropped since: its rows went with it
      shipped += await this.shipCollection(c, group);
    }
    return shipped;
  }

  private async shipCollection(c: Collection, events: WriteEvent[]): Promise<number> {
    const upserts = events.filter((e) => e.operation !== 'delete' && e.vector?.length === c.dimension);
    const paths = new Map<WriteEvent, string>();
    if (upserts.length > 0 && this.bucket) {
      const object = batchObjectName(this.cfg.region, c.name, new Date(), upserts[0]!.timestamp);
      const buf = encodeShard({
        dimension: c.dimension,
        metric: c.metric,
        // Replicas must index the exact vector the writer indexed: never quantized.
        compression: Compression.None,
        records: upserts.map((e) => ({ id: e.id, versionTs: e.timestamp, metadata: e.metadata ?? null, vector: e.vector! })),
      });
      await this.bucket.file(object).save(buf, { resumable: false, contentType: 'application/octet-stream', validation: 'md5' });
      upserts.forEach((e, i) => paths.set(e, `gs://${this.bucket!.name}/${object}#${i}`));
    }
    await Promise.all(
      events.map((e) => {
        const meta: UpdateMetadata = { collection: c.name, dimension: c.dimension, metric: c.metric, ...(paths.has(e) ? { storage_path: paths.get(e) } : {}) };
        const data = Buffer.from(encodeUpdate({ vector_id: e.id, operation: e.operation, timestamp: wireTimestamp(e.timestamp), region: this.cfg.region, metadata: JSON.stringify(meta) }));
        return this.topic.publishMessage({ data, attributes: { region: this.cfg.region, collection: c.name } });
      }),
    );
    await this.store.markAnnounced(
      c.name,
      events.map((e) => ({ id: e.id, versionTs: e.timestamp, storagePath: paths.get(e) ?? (e.operation === 'delete' ? StoragePath.ANNOUNCED_DELETE : StoragePath.LOCAL) })),
    );
    return events.length;
  }

  /**
   * Writes whose version a VectorUpdate cannot carry (past 2^53: only a forged update applied
   * before timestamps were checked leaves a row there) come out of the outbox unannounced, so
   * they cannot fail their whole batch on every sweep; no region would accept them anyway.
   */
  private async notReplicated(events: WriteEvent[]): Promise<void> {
    const first = events[0]!;
    this.log.error({ writes: events.length, collection: first.collection, vector_id: first.id, version: first.timestamp.toString() }, 'versions past 2^53 cannot be announced to other regions; these writes stay in this region');
    for (const e of events) {
      if (e.drop) await this.store.markDropAnnounced(e.collection, e.timestamp);
      else await this.store.markAnnounced(e.collection, [{ id: e.id, versionTs: e.timestamp, storagePath: StoragePath.LOCAL }]);
    }
  }

  /** A drop travels as operation 'delete' with no vector_id and metadata {collection, drop: true}. */
  private async shipDrop(e: WriteEvent): Promise<void> {
    const meta: UpdateMetadata = { collection: e.collection, drop: true };
    const data = Buffer.from(encodeUpdate({ vector_id: '', operation: 'delete', timestamp: wireTimestamp(e.timestamp), region: this.cfg.region, metadata: JSON.stringify(meta) }));
    await this.topic.publishMessage({ data, attributes: { region: this.cfg.region, collection: e.collection, drop: 'true' } });
    await this.store.markDropAnnounced(e.collection, e.timestamp);
  }

  /**
   * Re-ships this region's rows still pending after SWEEP_AGE_SEC: writes whose instance died
   * before shipping them, or whose batch failed. One instance per region sweeps at a time.
   */
  async sweep(): Promise<number> {
    const lockClient = await this.store.pool.connect();
    try {
      const lock = await lockClient.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SWEEP_LOCK]);
      if (!lock.rows[0]?.ok) return 0;
      try {
        const drops = await this.store.pendingDrops(this.cfg.region, SWEEP_AGE_SEC);
        let total = await this.ship(drops.map((d) => ({ collection: d.name, id: '', operation: 'delete', timestamp: d.ts, drop: true })));
        // Bounded: a page that could not be marked (rewritten meanwhile) must not spin here.
        for (let page = 0; page < MAX_SWEEP_PAGES; page++) {
          const rows = await this.store.pending(this.cfg.region, SWEEP_AGE_SEC, BATCH);
          if (rows.length === 0) break;
          const events: WriteEvent[] = rows.map((r) => ({
            collection: r.collection,
            id: r.id,
            operation: r.deleted ? 'delete' : 'update',
            timestamp: r.versionTs,
            ...(r.vector ? { vector: r.vector, metadata: r.metadata } : {}),
          }));
          await this.engine.syncCollections();
          total += await this.ship(events);
          if (rows.length < BATCH) break;
        }
        if (total > 0) this.log.info({ shipped: total }, 'outbox sweep shipped pending writes');
        return total;
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK]).catch(() => {});
      }
    } finally {
      lockClient.release();
    }
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const tick = () => {
      this.chain = this.chain
        .then(() => this.sweep())
        .then(() => undefined, (e: Error) => {
          this.onError();
          this.log.warn({ err: e.message }, 'outbox sweep failed');
        })
        .finally(() => {
          if (this.sweepTimer) this.sweepTimer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.sweepTimer = setTimeout(tick, intervalMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    await this.topic.flush().catch(() => {});
    await this.client.close().catch(() => {});
  }
}
