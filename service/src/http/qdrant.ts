import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine, ScoredPoint } from '../engine.js';
import type { ServiceConfig } from '../config.js';
import { badRequest, notFound } from '../errors.js';
import { parseId, parseK, parseName, parsePayload, parseVector } from '../vectors/validate.js';
import { fromQdrantDistance, toQdrantDistance } from '../vectors/metric.js';
import { requireWriteKey, userOf } from './auth.js';
import { bodyOptions, checkIds, checkQueries } from './limits.js';

/** The version Qdrant clients check compatibility against (major equal, minor within one). */
export const QDRANT_COMPAT_VERSION = '1.15.0';

type Id = string | number;

/** Qdrant ids are unsigned integers or UUIDs; integer-looking ids go back as numbers. */
function outId(id: string): Id {
  return /^\d{1,15}$/.test(id) ? Number(id) : id;
}

const qdrant = { config: { qdrant: true } };

/**
 * The common subset of Qdrant's REST API (collections, points upsert/retrieve/delete, search,
 * search batch, query, query batch) with Qdrant's envelope {result, status, time}, so
 * @qdrant/js-client-rest works unchanged.
 */
export function qdrantRoutes(app: FastifyInstance, engine: Engine, cfg: ServiceConfig): void {
  const write = async (req: FastifyRequest) => requireWriteKey(req, cfg.apiKey);
  const ok = (result: unknown, t0: number) => ({ result, status: 'ok', time: (performance.now() - t0) / 1000 });
  const name = (req: FastifyRequest) => (req.params as { name: string }).name;
  /** Reads spend the client's rate limit: one unit, or one per id read or query. */
  const charge = (req: FastifyRequest, units = 1) => engine.charge(userOf(req, cfg.apiKey), units);
  const query = bodyOptions(cfg, 'query', qdrant.config);

  app.get('/', qdrant, async () => ({ title: 'ruvector (qdrant-compatible subset)', version: QDRANT_COMPAT_VERSION }));

  app.get('/collections', qdrant, async (req) => {
    const t0 = performance.now();
    charge(req);
    return ok({ collections: [...engine.collections.keys()].sort().map((n) => ({ name: n })) }, t0);
  });

  app.get('/collections/:name/exists', qdrant, async (req) => {
    charge(req);
    return ok({ exists: engine.collections.has(name(req)) }, performance.now());
  });

  app.put('/collections/:name', { ...bodyOptions(cfg, 'small', qdrant.config), preHandler: write, schema: { body: { type: 'object', required: ['vectors'], properties: { vectors: { type: 'object' } } } } }, async (req) => {
    const t0 = performance.now();
    const n = parseName(name(req), 'collection name');
    const v = (req.body as { vectors: { size?: unknown; distance?: unknown } }).vectors;
    if (typeof v.size !== 'number' || !Number.isInteger(v.size)) throw badRequest('vectors.size must be an integer (named vectors are not supported)');
    const metric = typeof v.distance === 'string' ? fromQdrantDistance(v.distance) : undefined;
    if (!metric) throw badRequest('vectors.distance must be one of Cosine, Euclid, Dot');
    await engine.createCollection(n, v.size, metric);
    return ok(true, t0);
  });

  app.get('/collections/:name', qdrant, async (req) => {
    const t0 = performance.now();
    charge(req);
    const c = engine.get(name(req));
    return ok(
      {
        status: 'green',
        optimizer_status: 'ok',
        points_count: c.live,
        indexed_vectors_count: c.live,
        segments_count: 1,
        config: {
          params: { vectors: { size: c.dimension, distance: toQdrantDistance(c.metric) }, shard_number: 1, replication_factor: 1 },
          hnsw_config: { m: cfg.hnsw.m, ef_construct: cfg.hnsw.efConstruction, full_scan_threshold: 0, on_disk: false },
          optimizer_config: {},
          wal_config: {},
        },
        payload_schema: {},
      },
      t0,
    );
  });

  app.delete('/collections/:name', { ...qdrant, preHandler: write }, async (req) => {
    const t0 = performance.now();
    return ok(await engine.dropCollection(name(req)), t0);
  });

  app.put('/collections/:name/points', { ...bodyOptions(cfg, 'points', qdrant.config), preHandler: write, schema: { body: { type: 'object' } } }, async (req) => {
    const t0 = performance.now();
    const c = engine.get(name(req));
    const b = req.body as { points?: unknown[]; batch?: { ids?: unknown[]; vectors?: unknown[]; payloads?: unknown[] } };
    let items;
    if (Array.isArray(b.points)) {
      items = b.points.map((p, i) => {
        const o = (p ?? {}) as Record<string, unknown>;
        return { id: parseId(o.id, `points[${i}].id`), vector: parseVector(o.vector, c.dimension, `points[${i}].vector`), metadata: parsePayload(o.payload, `points[${i}].payload`) };
      });
    } else if (b.batch && Array.isArray(b.batch.ids) && Array.isArray(b.batch.vectors)) {
      const bt = b.batch;
      if (bt.vectors!.length !== bt.ids!.length) throw badRequest('batch.vectors must have as many items as batch.ids');
      items = bt.ids!.map((id, i) => ({
        id: parseId(id, `batch.ids[${i}]`),
        vector: parseVector(bt.vectors![i], c.dimension, `batch.vectors[${i}]`),
        metadata: parsePayload(bt.payloads?.[i], `batch.payloads[${i}]`),
      }));
    } else throw badRequest('points (an array) or batch {ids, vectors} is required');
    await engine.upsert(c.name, items);
    return ok({ operation_id: 0, status: 'completed' }, t0);
  });

  const retrieve = async (coll: string, ids: string[], withPayload: boolean, withVector: boolean) =>
    (await engine.getPoints(coll, ids)).map((p) => ({
      id: outId(p.id),
      payload: withPayload ? (p.payload ?? {}) : null,
      vector: withVector ? Array.from(p.vector) : null,
    }));

  app.post('/collections/:name/points', { ...query, schema: { body: { type: 'object', required: ['ids'], properties: { ids: { type: 'array' } } } } }, async (req) => {
    const t0 = performance.now();
    const b = req.body as { ids: unknown[]; with_payload?: unknown; with_vector?: unknown };
    checkIds(b.ids.length, 'ids', cfg);
    charge(req, b.ids.length);
    const ids = b.ids.map((id, i) => parseId(id, `ids[${i}]`));
    return ok(await retrieve(name(req), ids, b.with_payload !== false, b.with_vector === true), t0);
  });

  app.get('/collections/:name/points/:id', qdrant, async (req) => {
    const t0 = performance.now();
    const id = parseId((req.params as { id: string }).id, 'id');
    charge(req);
    const [p] = await retrieve(name(req), [id], true, true);
    if (!p) throw notFound(`Not found: Point with id ${id} does not exists!`);
    return ok(p, t0);
  });

  app.post('/collections/:name/points/delete', { ...query, preHandler: write, schema: { body: { type: 'object' } } }, async (req) => {
    const t0 = performance.now();
    const b = req.body as { points?: unknown[]; filter?: unknown };
    if (!Array.isArray(b.points)) throw badRequest('points must be an array of ids (delete by filter is not supported)');
    checkIds(b.points.length, 'points', cfg);
    await engine.delete(name(req), b.points.map((id, i) => parseId(id, `points[${i}]`)));
    return ok({ operation_id: 0, status: 'completed' }, t0);
  });

  interface SearchBody {
    vector?: unknown;
    query?: unknown;
    limit?: unknown;
    top?: unknown;
    filter?: unknown;
    with_payload?: unknown;
    with_vector?: unknown;
    params?: { hnsw_ef?: unknown };
    score_threshold?: unknown;
  }

  /**
   * The searches of one request, run at once (each is a single query to the pool, so a batch
   * shares one deadline rather than queueing its searches one after another). A batch is
   * bounded and charged to the rate limit whole, before any runs.
   */
  async function runSearch(req: FastifyRequest, coll: string, bodies: SearchBody[], field: 'vector' | 'query'): Promise<unknown[][]> {
    const c = engine.get(coll);
    const plans = bodies.map((b, i) => {
      const where = bodies.length > 1 ? `searches[${i}].` : '';
      if (b === null || typeof b !== 'object') throw badRequest(`${where || 'body '}must be an object`);
      const k = parseK(b.limit ?? b.top ?? 10, `${where}limit`, cfg.limits.maxK);
      const ef = b.params?.hnsw_ef === undefined ? undefined : parseK(b.params.hnsw_ef, `${where}params.hnsw_ef`, 4096);
      return { b, where, k, ef };
    });
    checkQueries(plans.length, plans.reduce((n, p) => n + p.k, 0), bodies.length > 1 ? 'searches' : 'body', cfg);
    const user = userOf(req, cfg.apiKey);
    engine.charge(user, plans.length);
    return Promise.all(
      plans.map(async ({ b, where, k, ef }) => {
        let raw = field === 'vector' ? b.vector : b.query;
        if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'nearest' in raw) raw = (raw as { nearest: unknown }).nearest;
        let vec: Float32Array;
        const byId = !Array.isArray(raw);
        if (Array.isArray(raw)) vec = parseVector(raw, c.dimension, `${where}${field}`);
        else if (typeof raw === 'string' || typeof raw === 'number') vec = await engine.vectorOf(coll, parseId(raw, `${where}${field}`), `${where}${field}`);
        else throw badRequest(`${where}${field} must be a vector or a point id`);
        const wantPayload = b.with_payload !== false && b.with_payload !== undefined;
        const { results } = await engine.search({ collection: coll, queries: [vec], k, ef, filter: b.filter ?? undefined, withPayload: wantPayload, user, byId, charged: true });
        let hits: ScoredPoint[] = results[0]!;
        if (typeof b.score_threshold === 'number') {
          const th = b.score_threshold;
          hits = hits.filter((h) => (c.metric === 'l2' ? h.score <= th : h.score >= th));
        }
        const vectors = b.with_vector === true ? new Map((await engine.getPoints(coll, hits.map((h) => h.id))).map((p) => [p.id, Array.from(p.vector)])) : undefined;
        return hits.map((h) => ({ id: outId(h.id), version: 0, score: h.score, payload: wantPayload ? (h.payload ?? {}) : null, vector: vectors?.get(h.id) ?? null }));
      }),
    );
  }

  app.post('/collections/:name/points/search', { ...query, schema: { body: { type: 'object' } } }, async (req) => {
    const t0 = performance.now();
    return ok((await runSearch(req, name(req), [req.body as SearchBody], 'vector'))[0], t0);
  });

  app.post('/collections/:name/points/search/batch', { ...query, schema: { body: { type: 'object', required: ['searches'], properties: { searches: { type: 'array', items: { type: 'object' } } } } } }, async (req) => {
    const t0 = performance.now();
    return ok(await runSearch(req, name(req), (req.body as { searches: SearchBody[] }).searches, 'vector'), t0);
  });

  app.post('/collections/:name/points/query', { ...query, schema: { body: { type: 'object' } } }, async (req) => {
    const t0 = performance.now();
    const [points] = await runSearch(req, name(req), [req.body as SearchBody], 'query');
    return ok({ points }, t0);
  });

  app.post('/collections/:name/points/query/batch', { ...query, schema: { body: { type: 'object', required: ['searches'], properties: { searches: { type: 'array', items: { type: 'object' } } } } } }, async (req) => {
    const t0 = performance.now();
    const res = await runSearch(req, name(req), (req.body as { searches: SearchBody[] }).searches, 'query');
    return ok(res.map((points) => ({ points })), t0);
  });
}
