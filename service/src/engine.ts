import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';
import { HttpError, badRequest, conflict, notFound } from './errors.js';
import { IndexPool, SearchRefused, WorkerError } from './index/pool.js';
import type { SavedReplica, WorkerRequest } from './index/protocol.js';
import type { Cache } from './cache/redis.js';
import { TTL } from './cache/redis.js';
import { VectorStore, StoragePath, vectorBytes, bytesVector, type VectorRow, type ChangeHead, type WriteItem, type CollectionRow, type Version } from './store/vectors.js';
import type { Analytics } from './store/analytics.js';
import type { Metrics } from './metrics.js';
import { compileFilter, FilterError, type Payload } from './vectors/filter.js';
import { scoreOf, type Metric } from './vectors/metric.js';

interface Entry {
  label: number;
  ts: Version;
  deleted: boolean;
}

/** Main-thread view of a collection: the id <-> label mapping and last-writer-wins versions. */
export class Collection {
  readonly ids = new Map<string, Entry>();
  readonly labels: string[] = [];
  live = 0;
  constructor(
    readonly name: string,
    readonly uid: string,
    readonly dimension: number,
    readonly metric: Metric,
  ) {}
}

export interface Point {
  id: string;
  vector?: number[];
  payload?: Payload | null;
}

export interface ScoredPoint {
  id: string;
  score: number;
  distance: number;
  payload?: Payload | null;
}

export interface SearchRequest {
  collection: string;
  queries: Float32Array[];
  k: number;
  ef?: number;
  filter?: unknown;
  withPayload: boolean;
  user: string;
  /** Drop this id from the results (search by query_vector_id). */
  exclude?: string;
  /** The query vector is a stored point's (query_vector_id): such searches repeat, so they are cached. */
  byId?: boolean;
  /** The route has already charged the rate limit for it (a batch is charged whole, up front). */
  charged?: boolean;
}

export interface WriteEvent {
  collection: string;
  id: string;
  operation: 'insert' | 'update' | 'delete';
  timestamp: Version;
  /** Upserts only: what other regions will read from the replication batch. */
  vector?: Float32Array;
  metadata?: Payload | null;
  /** The whole collection was dropped at `timestamp` (id is empty). */
  drop?: true;
}

export class RateLimited extends HttpError {}

/** Answers to a search the queue refused or that passed its deadline: the client should retry later. */
const RETRY_AFTER_SEC = 1;
const RETRY_AFTER = { 'retry-after': String(RETRY_AFTER_SEC) };

/** indices/*.labels.json: the labels of one collection's saved HNSW graph (service/FORMAT.md). */
export interface IndexSidecar {
  format: 'ruvector-hnsw-labels';
  version: 1;
  collection: string;
  uid: string;
  /**
   * Per label: the point id, its last-writer-wins version (a decimal string, exact past 2^53;
   * sidecars written before are JSON numbers), its payload.
   */
  ids: string[];
  ts: (string | number)[];
  payloads: (Payload | null)[];
  /** Labels whose id is deleted (main-thread tombstones). */
  tombstones: number[];
  /** Labels the graph never held (a delete that arrived before any insert). */
  absent: number[];
  /** Labels marked deleted in the graph. */
  deleted: number[];
}

/**
 * The vector engine: Postgres is the source of truth, the worker pool holds the HNSW
 * replicas, Redis caches. A write is committed to Postgres before it is applied to the index
 * and acknowledged.
 */
export class Engine {
  readonly collections = new Map<string, Collection>();
  /**
   * Read-replica regions: collections unloaded on another region's drop while the replica
   * database still has them; syncCollections leaves them out until the drop reaches the
   * replica (the row goes) or a write newer than the drop arrives.
   */
  private dropHolds = new Map<string, { uid: string; ts: Version }>();
  private lastTs = 0;
  onWrite: (events: WriteEvent[]) => void = () => {};
  /** storage_path of new writes: StoragePath.PENDING while a shipper announces them to other regions. */
  writeStoragePath: string = StoragePath.LOCAL;
  /** While bulkLoad runs: the collections whose rows went to the first replica only. */
  private bulk?: Set<string>;

  constructor(
    private cfg: ServiceConfig,
    readonly store: VectorStore,
    readonly pool: IndexPool,
    readonly cache: Cache,
    private analytics: Analytics,
    private metrics: Metrics,
    private log: Logger,
  ) {}

  /** Monotonic per instance so two writes here never tie. */
  nextTs(): number {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1);
    return this.lastTs;
  }

  indexSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.collections.values()) out[c.name] = c.live;
    return out;
  }

  get(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw notFound(`collection ${name} not found`);
    return c;
  }

  private genKey(c: Collection): string {
    return `searchgen:${c.name}:${c.uid}`;
  }

  async loadCollection(row: CollectionRow): Promise<Collection> {
    const existing = this.collections.get(row.name);
    if (existing && existing.uid === row.uid) return existing;
    if (existing) await this.unloadCollection(row.name);
    const c = new Collection(row.name, row.uid, row.dimension, row.metric);
    this.collections.set(row.name, c);
    await this.pool.broadcast({ op: 'create', name: row.name, dimension: row.dimension, metric: row.metric, m: this.cfg.hnsw.m, efConstruction: this.cfg.hnsw.efConstruction });
    return c;
  }

  async unloadCollection(name: string): Promise<void> {
    this.collections.delete(name);
    await this.pool.broadcast({ op: 'drop', name });
  }

  async createCollection(name: string, dimension: number, metric: Metric): Promise<Collection> {
    if (dimension < 1 || dimension > this.cfg.limits.maxDimension) throw badRequest(`dimension must be from 1 to ${this.cfg.limits.maxDimension}`);
    const row = await this.store.createCollection(name, dimension, metric);
    if (!row) throw conflict(`collection ${name} already exists`);
    return this.loadCollection(row);
  }

  /** Drops here and, through onWrite, in every other region (last writer wins, see store/drops.ts). */
  async dropCollection(name: string): Promise<boolean> {
    const ts = await this.store.dropCollection(name, this.cfg.region, this.nextTs(), this.writeStoragePath === StoragePath.PENDING);
    if (this.collections.has(name)) await this.unloadCollection(name);
    if (ts === undefined) return false;
    this.onWrite([{ collection: name, id: '', operation: 'delete', timestamp: ts, drop: true }]);
    return true;
  }

  /** A read-replica region's share of another region's drop at ts: out of the index, and kept out. */
  async unloadDropped(name: string, ts: Version): Promise<void> {
    const c = this.collections.get(name);
    if (!c) return;
    this.dropHolds.set(name, { uid: c.uid, ts });
    await this.unloadCollection(name);
  }

  /** The drop a held collection was unloaded for; a write not older than it lifts the hold. */
  dropHeld(name: string, writeTs?: Version): Version | undefined {
    const h = this.dropHolds.get(name);
    if (h && writeTs !== undefined && writeTs >= h.ts) this.dropHolds.delete(name);
    return h?.ts;
  }

  /** Brings the in-memory collection list in line with Postgres (other instances create and drop). */
  async syncCollections(): Promise<void> {
    const rows = await this.store.listCollections();
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.name);
      const hold = this.dropHolds.get(r.name);
      if (hold?.uid === r.uid) continue;
      if (hold) this.dropHolds.delete(r.name); // dropped and created anew since
      await this.loadCollection(r);
    }
    for (const name of [...this.dropHolds.keys()]) if (!seen.has(name)) this.dropHolds.delete(name);
    for (const name of [...this.collections.keys()]) if (!seen.has(name)) await this.unloadCollection(name);
  }

  async upsert(name: string, items: WriteItem[]): Promise<number> {
    const c = this.get(name);
    if (items.length > this.cfg.limits.maxBatch) throw badRequest(`points has ${items.length} items, at most ${this.cfg.limits.maxBatch} per request`);
    // Postgres cannot upsert the same key twice in one statement: the last occurrence wins.
    const byId = new Map<string, WriteItem>();
    for (const it of items) byId.set(it.id, it);
    const unique = [...byId.values()];
    const ts = this.nextTs();
    const t0 = performance.now();
    const applied = await this.store.upsert(name, c.dimension, this.cfg.region, ts, unique, this.writeStoragePath).catch((e: { code?: string }) => {
      // 23503: the collection was dropped (by another instance) while this write was on its way.
      throw e.code === '23503' ? notFound(`collection ${name} not found`) : e;
    });
    const rows = unique.filter((i) => applied.has(i.id)).map((i) => ({ ...i, ts: applied.get(i.id)! }));
    const events: WriteEvent[] = rows.map((i) => ({
      collection: name, id: i.id, operation: c.ids.get(i.id)?.deleted === false ? 'update' : 'insert', timestamp: i.ts, vector: i.vector, metadata: i.metadata,
    }));
    await this.applyUpserts(c, rows);
    await this.afterWrite(c, rows.map((r) => r.id));
    this.metrics.writes.inc({ op: 'upsert' }, rows.length);
    this.analytics.record({ type: 'insert', latencyMs: performance.now() - t0, resultCount: rows.length });
    this.onWrite(events);
    return rows.length;
  }

  async delete(name: string, ids: string[]): Promise<number> {
    const c = this.get(name);
    const ts = this.nextTs();
    const t0 = performance.now();
    const applied = await this.store.delete(name, this.cfg.region, ts, [...new Set(ids)], this.writeStoragePath);
    const rows = [...applied].map(([id, v]) => ({ id, ts: v }));
    await this.applyDeletes(c, rows);
    await this.afterWrite(c, rows.map((r) => r.id));
    this.metrics.writes.inc({ op: 'delete' }, rows.length);
    this.analytics.record({ type: 'delete', latencyMs: performance.now() - t0, resultCount: rows.length });
    this.onWrite(rows.map((r) => ({ collection: name, id: r.id, operation: 'delete', timestamp: r.ts })));
    return rows.length;
  }

  private async afterWrite(c: Collection, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const keys = ids.flatMap((id) => [`vector:${c.name}/${id}`, `meta:${c.name}/${id}`]);
    await this.cache.invalidate(this.genKey(c), keys);
  }

  /** Applies to the index only what is newer than what the index already has (last writer wins). */
  private async applyUpserts(c: Collection, rows: { id: string; vector: Float32Array; metadata: Payload | null; ts: Version }[]): Promise<void> {
    const labels: number[] = [];
    const payloads: (Payload | null)[] = [];
    const vecs: Float32Array[] = [];
    for (const r of rows) {
      let e = c.ids.get(r.id);
      if (e && e.ts >= r.ts) continue;
      if (!e) {
        e = { label: c.labels.length, ts: r.ts, deleted: false };
        c.labels.push(r.id);
        c.ids.set(r.id, e);
        c.live++;
      } else {
        if (e.deleted) c.live++;
        e.ts = r.ts;
        e.deleted = false;
      }
      labels.push(e.label);
      payloads.push(r.metadata);
      vecs.push(r.vector);
    }
    if (labels.length === 0) return;
    const flat = new Float32Array(labels.length * c.dimension);
    vecs.forEach((v, i) => flat.set(v, i * c.dimension));
    await this.toReplicas(c, { op: 'upsert', name: c.name, labels, vectors: flat, payloads });
  }

  private async toReplicas(c: Collection, req: WorkerRequest): Promise<void> {
    if (!this.bulk) return this.pool.broadcast(req);
    this.bulk.add(c.name);
    await this.pool.first(req);
  }

  /**
   * Runs fn (a cold start's replay) with the rows it applies built into the first replica
   * only, then gives the other replicas a copy of its graphs (hnswlib's file format, as a
   * snapshot's graph is loaded). Inserting is nearly all of a cold start's work, and every
   * replica inserting the same rows multiplied it by the number of replicas on the same
   * cores; loading a graph costs a small fraction of building it. Only while nothing is
   * served: the other replicas are behind until fn is done.
   */
  async bulkLoad<T>(fn: () => Promise<T>): Promise<T> {
    if (this.pool.size < 2 || this.bulk) return fn();
    const built = (this.bulk = new Set<string>());
    let out: T;
    try {
      out = await fn();
    } catch (e) {
      // Whatever the first replica took, the others must hold too, failure or not.
      this.bulk = undefined;
      await this.copyFirstReplica(built).catch(() => {});
      throw e;
    }
    this.bulk = undefined;
    await this.copyFirstReplica(built);
    return out;
  }

  private async copyFirstReplica(names: Set<string>): Promise<void> {
    if (names.size === 0) return;
    const dir = await mkdtemp(join(tmpdir(), 'ruvector-replica-'));
    try {
      for (const name of names) {
        if (!this.collections.has(name)) continue;
        const path = join(dir, 'graph.idx');
        const saved = (await this.pool.first({ op: 'save', name, path })) as SavedReplica;
        // The first replica loads its own copy too: the pool has no "all but one", and reading a graph is cheap.
        await this.pool.broadcast({ op: 'load', name, path, payloads: saved.payloads, deleted: saved.deleted });
        await rm(path, { force: true });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async applyDeletes(c: Collection, rows: { id: string; ts: Version }[]): Promise<void> {
    const labels: number[] = [];
    for (const r of rows) {
      const e = c.ids.get(r.id);
      if (!e) {
        // Remember the tombstone's version so an older insert arriving later loses.
        c.ids.set(r.id, { label: c.labels.length, ts: r.ts, deleted: true });
        c.labels.push(r.id);
        continue;
      }
      if (e.ts >= r.ts) continue;
      e.ts = r.ts;
      if (!e.deleted) {
        e.deleted = true;
        c.live--;
        labels.push(e.label);
      }
    }
    if (labels.length) await this.toReplicas(c, { op: 'delete', name: c.name, labels });
  }

  /** Whether a change is newer than what this instance holds (a collection it does not know yet counts). */
  isNews(h: ChangeHead): boolean {
    const c = this.collections.get(h.collection);
    return !c || (c.ids.get(h.id)?.ts ?? -1n) < h.versionTs;
  }

  /** Applies rows read from Postgres (cold start, change feed, replication), idempotently. */
  async applyRows(rows: VectorRow[], invalidate: boolean): Promise<number> {
    let applied = 0;
    const groups = new Map<string, VectorRow[]>();
    for (const r of rows) {
      const g = groups.get(r.collection) ?? [];
      g.push(r);
      groups.set(r.collection, g);
    }
    for (const [name, all] of groups) {
      const held = this.dropHolds.get(name);
      const g = held ? all.filter((r) => r.versionTs >= held.ts) : all;
      if (g.length === 0) continue;
      if (held) this.dropHolds.delete(name);
      let c = this.collections.get(name);
      if (!c) {
        await this.syncCollections();
        c = this.collections.get(name);
        if (!c) continue; // dropped meanwhile
      }
      const coll = c;
      const fresh = g.filter((r) => this.isNews(r));
      const ups = fresh.filter((r) => !r.deleted && r.vector && r.vector.length === coll.dimension);
      const dels = fresh.filter((r) => r.deleted);
      await this.applyUpserts(coll, ups.map((r) => ({ id: r.id, vector: r.vector!, metadata: r.metadata, ts: r.versionTs })));
      await this.applyDeletes(coll, dels.map((r) => ({ id: r.id, ts: r.versionTs })));
      applied += ups.length + dels.length;
      if (invalidate && fresh.length) await this.afterWrite(coll, fresh.map((r) => r.id));
    }
    return applied;
  }

  /**
   * Writes a collection's HNSW graph to `path` and returns what the graph file does not hold:
   * the id, version and tombstone of every label, and the payloads. Both halves describe the
   * same moment: the maps are copied in the tick the request is queued, and the worker handles
   * its queue in order.
   */
  async exportIndex(name: string, path: string): Promise<IndexSidecar> {
    const c = this.get(name);
    const ids = [...c.labels];
    const entries = ids.map((id) => c.ids.get(id)!);
    const ts = entries.map((e) => e.ts.toString());
    const tomb = entries.flatMap((e, label) => (e.deleted ? [label] : []));
    const saved = (await this.pool.first({ op: 'save', name, path })) as SavedReplica;
    const absent: number[] = [];
    for (let l = 0; l < ids.length; l++) if (saved.payloads[l] === undefined) absent.push(l);
    return { format: 'ruvector-hnsw-labels', version: 1, collection: name, uid: c.uid, ids, ts, tombstones: tomb, absent, payloads: ids.map((_, l) => saved.payloads[l] ?? null), deleted: saved.deleted };
  }

  /** Loads a graph written by exportIndex into every replica, in place of what they hold. */
  async importIndex(row: CollectionRow, path: string, side: IndexSidecar): Promise<number> {
    if (side.ids.length !== side.ts.length || side.ids.length !== side.payloads.length) throw new Error(`index sidecar for ${row.name} is inconsistent`);
    const c = await this.loadCollection(row);
    const absent = new Set(side.absent);
    const tomb = new Set(side.tombstones);
    const payloads = side.payloads.map((p, l) => (absent.has(l) ? undefined : p));
    await this.pool.broadcast({ op: 'load', name: row.name, path, payloads, deleted: side.deleted });
    c.ids.clear();
    c.labels.length = 0;
    c.live = 0;
    side.ids.forEach((id, label) => {
      c.labels.push(id);
      c.ids.set(id, { label, ts: BigInt(side.ts[label]!), deleted: tomb.has(label) });
      if (!tomb.has(label)) c.live++;
    });
    return c.live;
  }

  /** Points by id: Redis first (vector:, meta:), then Postgres, filling the cache. */
  async getPoints(name: string, ids: string[]): Promise<{ id: string; vector: Float32Array; payload: Payload | null }[]> {
    const c = this.get(name);
    const live = [...new Set(ids)].filter((id) => c.ids.get(id)?.deleted === false);
    if (live.length === 0) return [];
    const vkeys = live.map((id) => `vector:${c.name}/${id}`);
    const mkeys = live.map((id) => `meta:${c.name}/${id}`);
    const [vs, ms] = await Promise.all([this.cache.mgetBuffer(vkeys), this.cache.mget(mkeys)]);
    const out = new Map<string, { id: string; vector: Float32Array; payload: Payload | null }>();
    const missing: string[] = [];
    live.forEach((id, i) => {
      const v = vs[i];
      const m = ms[i];
      if (v && m !== null && m !== undefined && v.byteLength === c.dimension * 4) out.set(id, { id, vector: bytesVector(v), payload: JSON.parse(m) as Payload | null });
      else missing.push(id);
    });
    if (missing.length) {
      for (const r of await this.store.get(name, missing)) {
        if (!r.vector) continue;
        out.set(r.id, { id: r.id, vector: r.vector, payload: r.metadata });
        this.cache.set(`vector:${c.name}/${r.id}`, vectorBytes(r.vector), TTL.vector);
        this.cache.set(`meta:${c.name}/${r.id}`, JSON.stringify(r.metadata), TTL.meta);
      }
    }
    return live.filter((id) => out.has(id)).map((id) => out.get(id)!);
  }

  async vectorOf(name: string, id: string, field: string): Promise<Float32Array> {
    const [p] = await this.getPoints(name, [id]);
    if (!p) throw notFound(`${field}: point ${id} not found in collection ${name}`);
    return p.vector;
  }

  private searchKey(c: Collection, q: Float32Array, k: number, ef: number, r: SearchRequest): string {
    let filter: string;
    try {
      filter = JSON.stringify(r.filter ?? null);
    } catch {
      // Only a stack overflow can stop a value parsed from JSON from serialising again.
      throw badRequest('filter is nested too deeply');
    }
    const h = createHash('sha256')
      .update(`${c.name}\u0000${c.uid}\u0000${ef}\u0000${r.withPayload ? 1 : 0}\u0000${r.exclude ?? ''}\u0000${filter}\u0000`)
      .update(vectorBytes(q))
      .digest('hex')
      .slice(0, 32);
    return `search:${h}:${k}`;
  }

  /**
   * Spends `units` of the client's rate limit (a query, or a point id read, is one unit), or
   * throws 429 with Retry-After. Counted for analytics as one request.
   */
  charge(user: string, units: number): void {
    const { perWindow, windowSec } = this.cfg.rateLimit;
    const rate = this.cache.rateLimit(user, perWindow, windowSec, units);
    const nowSec = Math.floor(Date.now() / 1000);
    this.analytics.countRequest(user, nowSec - (nowSec % windowSec));
    if (rate.allowed) return;
    const why = units > perWindow ? `this request alone costs ${units}` : `this request costs ${units}, ${rate.remaining} left in this window`;
    throw new RateLimited(429, `rate limit of ${perWindow} units per ${windowSec}s (RATE_LIMIT_PER_MINUTE; a query or a point id is one unit) exceeded for this client: ${why}`, {
      'retry-after': String(rate.retryAfterSec),
    });
  }

  /** Searches; rate limited per user in queries; single queries are served from the search cache when valid. */
  async search(r: SearchRequest): Promise<{ results: ScoredPoint[][]; cacheHit: boolean }> {
    const t0 = performance.now();
    const c = this.get(r.collection);
    const ef = Math.max(r.ef ?? this.cfg.hnsw.efSearch, r.k);
    const { maxQueries, maxResults } = this.cfg.limits;
    if (r.queries.length > maxQueries) throw badRequest(`${r.queries.length} queries in one request, at most ${maxQueries} (MAX_QUERIES)`);
    if (r.queries.length * r.k > maxResults) throw badRequest(`k x queries is ${r.k} x ${r.queries.length} = ${r.k * r.queries.length} results, at most ${maxResults} per request (MAX_RESULTS)`);
    if (r.filter !== undefined && r.filter !== null) {
      try {
        compileFilter(r.filter, this.cfg.limits.filter);
      } catch (e) {
        if (e instanceof FilterError) throw badRequest(e.message);
        throw e;
      }
    }
    try {
      if (!r.charged) this.charge(r.user, r.queries.length);
    } catch (e) {
      if (e instanceof RateLimited) this.analytics.record({ type: 'search', latencyMs: performance.now() - t0, user: r.user, errorCode: 'RATE_LIMITED' });
      throw e;
    }
    // See SEARCH_CACHE in service/README.md: by default only searches by point id use Redis.
    const mode = this.cfg.searchCache;
    const useCache = r.queries.length === 1 && (mode === 'all' || (mode === 'by-id' && r.byId === true));
    const key = useCache ? this.searchKey(c, r.queries[0]!, r.k, ef, r) : undefined;
    const gate = key ? await this.cache.lookupSearch(key, this.genKey(c)) : { gen: 'offline', cached: undefined };
    if (gate.cached) {
      try {
        const parsed = JSON.parse(gate.cached) as { g: string; r: ScoredPoint[] };
        if (parsed.g === gate.gen) {
          this.metrics.cache.inc({ result: 'hit' });
          this.done(t0, true, r, parsed.r.length);
          return { results: [parsed.r], cacheHit: true };
        }
      } catch {
        // a corrupt entry is a miss
      }
    }
    this.metrics.cache.inc({ result: key && gate.gen !== 'offline' ? 'miss' : 'bypass' });
    const extra = r.exclude !== undefined ? 1 : 0;
    let hits;
    try {
      hits = await this.pool.search({ op: 'search', name: c.name, queries: r.queries, k: r.k + extra, ef: ef + extra, filter: r.filter, withPayload: r.withPayload });
    } catch (e) {
      if (e instanceof WorkerError && e.kind === 'filter') throw badRequest(e.message);
      if (e instanceof WorkerError && /not loaded/.test(e.message)) throw notFound(`collection ${c.name} not found`);
      if (e instanceof SearchRefused) {
        this.metrics.searchRefused.inc({ reason: e.kind });
        if (e.kind === 'overloaded') {
          // Answered after the pause it asks for: a refusal costs the main thread a fraction of a
          // search, but a client that ignores Retry-After would send the next at once, and
          // hundreds of them kept the main thread busy refusing (while Node accepts one new
          // connection per event-loop turn, so a liveness probe's connection waited 15 s).
          await new Promise((r) => setTimeout(r, RETRY_AFTER_SEC * 1000));
          throw new HttpError(503, `${e.message}; retry shortly`, RETRY_AFTER);
        }
        throw new HttpError(503, `search did not finish within ${this.cfg.search.timeoutMs} ms (SEARCH_TIMEOUT_MS): ask for fewer queries or a narrower filter, or retry`, RETRY_AFTER);
      }
      throw e;
    }
    const perQuery = hits.searchMicros / 1e6 / r.queries.length;
    for (let q = 0; q < r.queries.length; q++) this.metrics.indexQuery.observe(perQuery);
    const results: ScoredPoint[][] = [];
    for (let q = 0; q + 1 < hits.offsets.length; q++) {
      const out: ScoredPoint[] = [];
      for (let j = hits.offsets[q]!; j < hits.offsets[q + 1]! && out.length < r.k; j++) {
        const id = c.labels[hits.labels[j]!];
        if (id === undefined || id === r.exclude) continue;
        const distance = hits.distances[j]!;
        const p: ScoredPoint = { id, score: scoreOf(c.metric, distance), distance };
        if (r.withPayload) p.payload = hits.payloads?.[j] ?? null;
        out.push(p);
      }
      results.push(out);
    }
    if (key && gate.gen !== 'offline') this.cache.set(key, JSON.stringify({ g: gate.gen, r: results[0] }), TTL.search);
    this.done(t0, false, r, results.reduce((s, l) => s + l.length, 0));
    return { results, cacheHit: false };
  }

  private done(t0: number, hit: boolean, r: SearchRequest, n: number): void {
    const ms = performance.now() - t0;
    this.metrics.search.observe({ cache: hit ? 'hit' : 'miss' }, ms / 1000);
    this.analytics.record({ type: 'search', latencyMs: ms, user: r.user, cacheHit: hit, resultCount: n });
  }
}
