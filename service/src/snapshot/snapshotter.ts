import { Storage, type Bucket } from '@google-cloud/storage';
import { PassThroughClient } from 'google-auth-library';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { Engine, IndexSidecar } from '../engine.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesVector, settledSeq, type CollectionRow, type Seq, type VectorRow } from '../store/vectors.js';
import { Compression, decodeShard, encodeShard, type ShardRecord } from './ruvs.js';
import type { Payload } from '../vectors/filter.js';
import type { Metric } from '../vectors/metric.js';
import { TTL } from '../cache/redis.js';
import { hnswCacheEntries, readHnswGraph } from './hnsw-graph.js';

/** metadata/manifest.json: the newest complete snapshot (written last, so a crash mid-snapshot leaves the previous one in force). */
export interface Manifest {
  format: 'ruvector-manifest';
  version: 1;
  latest: {
    id: string;
    createdAt: string;
    region: string;
    /**
     * Change-feed position the snapshot is consistent with: a cold start replays seq > this.
     * A decimal string (exact past 2^53); manifests written before hold a JSON number.
     */
    seq: string | number;
    checkpoint: string;
    collections: {
      name: string;
      uid: string;
      dimension: number;
      metric: Metric;
      count: number;
      shards: string[];
      /** The saved HNSW graph and its labels; a cold start loads it instead of rebuilding from the shards. */
      index?: { graph: string; labels: string; seq: string | number };
    }[];
  };
}

interface DayIndex {
  date: string;
  shards: { file: string; snapshot: string; collection: string; dimension: number; metric: Metric; compression: number; count: number; sha256: string; bytes: number }[];
}

const SNAPSHOT_LOCK = 0x52555657;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The Cloud Storage client: the emulator's when STORAGE_EMULATOR_HOST is set. */
export function storageFor(cfg: ServiceConfig): Storage {
  const s = cfg.storage;
  return s.apiEndpoint
    ? new Storage({ apiEndpoint: s.apiEndpoint, projectId: 'local', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof Storage>[0])
    : new Storage();
}

export function bucketFor(cfg: ServiceConfig, storage = storageFor(cfg)): Bucket {
  return storage.bucket(cfg.storage.bucket!);
}

/**
 * Writes and restores RUVS snapshots in the seed's bucket layout (4.2):
 * vectors/YYYY/MM/DD/shard-NNNNN.bin + index.json, checkpoints/, metadata/manifest.json.
 */
export class Snapshotter {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private bucket: Bucket,
    private cfg: ServiceConfig,
    private pool: pg.Pool,
    private log: Logger,
  ) {}

  private async readJson<T>(path: string): Promise<T | undefined> {
    const f = this.bucket.file(path);
    try {
      const [buf] = await f.download();
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  private async write(path: string, data: Buffer, contentType: string): Promise<void> {
    await this.bucket.file(path).save(data, { resumable: false, contentType, validation: 'md5' });
  }

  /** One snapshot at a time across all instances sharing this database and bucket. */
  async snapshot(now = new Date()): Promise<Manifest['latest']> {
    const lockClient = await this.pool.connect();
    try {
      const lock = await lockClient.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SNAPSHOT_LOCK]);
      if (!lock.rows[0]?.ok) throw new Error('another instance is writing a snapshot');
      try {
        return await this.snapshotLocked(now);
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [SNAPSHOT_LOCK]).catch(() => {});
      }
    } finally {
      lockClient.release();
    }
  }

  /** Reads a consistent view (REPEATABLE READ) so the shards and the seq watermark agree. */
  private async snapshotLocked(now: Date): Promise<Manifest['latest']> {
    const client = await this.pool.connect();
    const id = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const y = now.getUTCFullYear();
    const m = pad(now.getUTCMonth() + 1, 2);
    const d = pad(now.getUTCDate(), 2);
    const dayDir = `vectors/${y}/${m}/${d}`;
    const index = (await this.readJson<DayIndex>(`${dayDir}/index.json`)) ?? { date: `${y}-${m}-${d}`, shards: [] };
    let next = index.shards.reduce((mx, s) => Math.max(mx, Number(/shard-(\d+)\.bin$/.exec(s.file)?.[1] ?? -1) + 1), 0);
    const compression = this.cfg.quantization ? Compression.Int8 : Compression.None;
    const collections: Manifest['latest']['collections'] = [];
    let seq: Seq = 0n;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      seq = await settledSeq(client);
      const cols = await client.query<{ name: string; uid: string; dimension: number; metric: Metric }>('SELECT name, uid::text AS uid, dimension, metric FROM collections ORDER BY name');
      for (const c of cols.rows) {
        const shards: string[] = [];
        let count = 0;
        let after = '';
        for (;;) {
          const { rows } = await client.query<{ id: string; vector: Buffer; metadata: Payload | null; version_ts: string }>(
            `SELECT id, vector, metadata, version_ts::text AS version_ts FROM vector_metadata
             WHERE collection = $1 AND deleted = FALSE AND id > $2 ORDER BY id LIMIT $3`,
            [c.name, after, this.cfg.storage.shardSize],
          );
          if (rows.length === 0) break;
          const records: ShardRecord[] = rows.map((r) => ({ id: r.id, versionTs: BigInt(r.version_ts), metadata: r.metadata, vector: bytesVector(r.vector) }));
          const buf = encodeShard({ dimension: c.dimension, metric: c.metric, compression, records });
          const file = `${dayDir}/shard-${pad(next++, 5)}.bin`;
          await this.write(file, buf, 'application/octet-stream');
          index.shards.push({ file, snapshot: id, collection: c.name, dimension: c.dimension, metric: c.metric, compression, count: rows.length, sha256: buf.subarray(24, 56).toString('hex'), bytes: buf.length });
          shards.push(file);
          count += rows.length;
          after = rows[rows.length - 1]!.id;
          if (rows.length < this.cfg.storage.shardSize) break;
        }
        collections.push({ name: c.name, uid: c.uid, dimension: c.dimension, metric: c.metric, count, shards });
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
    await this.write(`${dayDir}/index.json`, Buffer.from(JSON.stringify(index, null, 2)), 'application/json');
    const checkpoint = `checkpoints/checkpoint-${y}${m}${d}-${pad(now.getUTCHours(), 2)}${pad(now.getUTCMinutes(), 2)}${pad(now.getUTCSeconds(), 2)}.bin`;
    await this.write(checkpoint, encodeCheckpoint(seq, now.getTime()), 'application/octet-stream');
    if (this.source) await this.saveGraphs(collections, `indices/hnsw-full-${y}${m}${d}-${id}`);
    const latest: Manifest['latest'] = { id, createdAt: now.toISOString(), region: this.cfg.region, seq: seq.toString(), checkpoint, collections };
    const manifest: Manifest = { format: 'ruvector-manifest', version: 1, latest };
    await this.write('metadata/manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
    this.log.info({ snapshot: id, seq: seq.toString(), collections: collections.length }, 'snapshot written');
    return latest;
  }

  /** Where the snapshot reads the in-memory HNSW graphs from, and the change-feed position they include. */
  private source?: { engine: Engine; watermark: () => Seq };
  attach(engine: Engine, watermark: () => Seq): void {
    this.source = { engine, watermark };
  }

  /**
   * indices/: each collection's graph as hnswlib writes it, plus its labels (ids, versions,
   * payloads). Everything up to the change-feed watermark taken first is in the graph, so a
   * cold start loads it and replays from there instead of re-inserting every vector.
   */
  private async saveGraphs(collections: Manifest['latest']['collections'], prefix: string): Promise<void> {
    const { engine, watermark } = this.source!;
    const dir = await mkdtemp(join(tmpdir(), 'ruvector-graph-'));
    try {
      for (const c of collections) {
        const live = engine.collections.get(c.name);
        if (!live || live.uid !== c.uid) continue;
        const seq = watermark();
        const file = join(dir, `${c.uid}.idx`);
        const side = await engine.exportIndex(c.name, file);
        const graph = `${prefix}-${c.uid}.idx`;
        const labels = `${prefix}-${c.uid}.labels.json`;
        await this.write(graph, await readFile(file), 'application/octet-stream');
        await this.write(labels, Buffer.from(JSON.stringify(side)), 'application/json');
        c.index = { graph, labels, seq: seq.toString() };
        await this.cacheGraph(c.name, file, side);
      }
    } catch (e) {
      // The shards alone still restore everything: a snapshot without graphs is only slower to load.
      this.log.warn({ err: (e as Error).message }, 'saving HNSW graphs failed; the snapshot has shards only');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * The seed's hnsw:{collection}/{id}:{level} keys (2.2), from the graph file just saved: the
   * upper levels and the entry point's level 0 (hnsw-graph.ts says why that part). Every
   * snapshot rewrites them with the seed's 2 h TTL, so they follow the graph and expire when
   * snapshots stop. Redis is only a cache: when it is down or fails this only logs.
   */
  private async cacheGraph(collection: string, file: string, side: IndexSidecar): Promise<void> {
    const cache = this.source!.engine.cache;
    if (!cache.up) {
      this.log.debug({ collection }, 'redis is down: hnsw cache keys not written');
      return;
    }
    try {
      const started = Date.now();
      const graph = await readHnswGraph(file);
      const r = await cache.setMany(hnswCacheEntries(collection, graph, side), TTL.hnsw);
      if (r.complete) this.log.debug({ collection, keys: r.written, ms: Date.now() - started }, 'hnsw cache keys written');
      else this.log.warn({ collection, keys: r.written }, 'redis failed while writing hnsw cache keys; the rest are skipped');
    } catch (e) {
      this.log.warn({ collection, err: (e as Error).message }, 'hnsw cache keys not written');
    }
  }

  /** Loads a saved graph; undefined when it cannot (the caller falls back to the shards). */
  private async loadGraph(engine: Engine, live: CollectionRow, index: { graph: string; labels: string }): Promise<number | undefined> {
    const dir = await mkdtemp(join(tmpdir(), 'ruvector-graph-'));
    try {
      const file = join(dir, 'graph.idx');
      await this.bucket.file(index.graph).download({ destination: file });
      const side = await this.readJson<IndexSidecar>(index.labels);
      if (!side || side.uid !== live.uid) return undefined;
      return await engine.importIndex(live, file, side);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, graph: index.graph }, 'loading the saved HNSW graph failed; rebuilding from shards');
      return undefined;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Loads the newest snapshot's shards into the engine and returns its seq watermark (0 when
   * there is none, or it is unusable: the change feed then replays everything from Postgres).
   */
  async restore(engine: Engine): Promise<{ seq: Seq; snapshot?: string; vectors: number; graphs?: number }> {
    const manifest = await this.readJson<Manifest>('metadata/manifest.json');
    if (!manifest?.latest) return { seq: 0n, vectors: 0 };
    let vectors = 0;
    let graphs = 0;
    let seq = BigInt(manifest.latest.seq);
    const known = new Map((await engine.store.listCollections()).map((c) => [c.name, c]));
    for (const c of manifest.latest.collections) {
      const live = known.get(c.name);
      if (!live || live.uid !== c.uid) continue; // dropped or re-created since: Postgres has the truth
      if (c.index) {
        const n = await this.loadGraph(engine, live, c.index);
        if (n !== undefined) {
          vectors += n;
          const graphSeq = BigInt(c.index.seq);
          if (graphSeq < seq) seq = graphSeq;
          graphs++;
          continue;
        }
        await engine.unloadCollection(live.name); // a half-loaded replica must not stay
      }
      const coll = await engine.loadCollection(live);
      for (const file of c.shards) {
        const [buf] = await this.bucket.file(file).download();
        const shard = decodeShard(buf);
        const rows: VectorRow[] = shard.records.map((r) => ({
          collection: coll.name, id: r.id, vector: r.vector, metadata: r.metadata, deleted: false, versionTs: r.versionTs, region: '', seq: 0n, settled: true,
        }));
        vectors += await engine.applyRows(rows, false);
      }
    }
    this.log.info({ snapshot: manifest.latest.id, seq: seq.toString(), vectors, graphs }, 'restored snapshot');
    return { seq, snapshot: manifest.latest.id, vectors, graphs };
  }

  start(): void {
    const sec = this.cfg.storage.snapshotIntervalSec;
    if (sec <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.snapshot()
        .catch((e: Error) => this.log.error({ err: e.message }, 'snapshot failed'))
        .finally(() => (this.running = undefined));
    }, sec * 1000).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** checkpoints/*.bin: "RUVC", version u32, change-feed seq u64, unix ms u64 (little-endian, 24 bytes). */
export function encodeCheckpoint(seq: bigint | number, atMs: number): Buffer {
  const b = Buffer.alloc(24);
  b.write('RUVC', 0, 'ascii');
  b.writeUInt32LE(1, 4);
  b.writeBigUInt64LE(BigInt(seq), 8);
  b.writeBigUInt64LE(BigInt(atMs), 16);
  return b;
}
