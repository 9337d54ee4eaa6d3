import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../engine.js';
import type { ServiceConfig } from '../config.js';
import { badRequest, notFound } from '../errors.js';
import { parseId, parseK, parseName, parsePayload, parseVector } from '../vectors/validate.js';
import { METRICS, parseMetric } from '../vectors/metric.js';
import { requireWriteKey, userOf } from './auth.js';
import { bodyOptions, checkIds, checkQueries } from './limits.js';

const obj = { type: 'object' } as const;

/** The batch-first JSON API under /api/v1. Errors are {status, error}. */
export function nativeRoutes(app: FastifyInstance, engine: Engine, cfg: ServiceConfig): void {
  const write = async (req: FastifyRequest) => requireWriteKey(req, cfg.apiKey);
  /** Reads spend the client's rate limit: one unit, or one per id read. */
  const charge = (req: FastifyRequest, units = 1) => engine.charge(userOf(req, cfg.apiKey), units);
  const info = (name: string) => {
    const c = engine.get(name);
    return { name: c.name, dimension: c.dimension, metric: c.metric, count: c.live };
  };

  app.get('/api/v1/collections', async (req) => {
    charge(req);
    return { collections: [...engine.collections.keys()].sort().map(info) };
  });

  app.post(
    '/api/v1/collections',
    {
      preHandler: write,
      ...bodyOptions(cfg, 'small'),
      schema: { body: { type: 'object', required: ['name', 'dimension'], properties: { name: { type: 'string' }, dimension: { type: 'integer' }, metric: { type: 'string' } } } },
    },
    async (req, reply) => {
      const b = req.body as { name: unknown; dimension: number; metric?: string };
      const name = parseName(b.name, 'name');
      const metric = parseMetric(b.metric ?? 'cosine');
      if (!metric) throw badRequest(`metric must be one of ${METRICS.join(', ')}`);
      await engine.createCollection(name, b.dimension, metric);
      reply.code(201);
      return info(name);
    },
  );

  app.get('/api/v1/collections/:name', async (req) => {
    charge(req);
    return info((req.params as { name: string }).name);
  });

  app.delete('/api/v1/collections/:name', { preHandler: write }, async (req) => {
    const name = (req.params as { name: string }).name;
    engine.get(name);
    await engine.dropCollection(name);
    return { deleted: true };
  });

  app.post(
    '/api/v1/collections/:name/points',
    { preHandler: write, ...bodyOptions(cfg, 'points'), schema: { body: { type: 'object', required: ['points'], properties: { points: { type: 'array', minItems: 1 } } } } },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const c = engine.get(name);
      const points = (req.body as { points: unknown[] }).points;
      const items = points.map((p, i) => {
        if (typeof p !== 'object' || p === null) throw badRequest(`points[${i}] must be an object`);
        const o = p as Record<string, unknown>;
        return {
          id: parseId(o.id, `points[${i}].id`),
          vector: parseVector(o.vector, c.dimension, `points[${i}].vector`),
          metadata: parsePayload(o.metadata ?? o.payload, `points[${i}].metadata`),
        };
      });
      const n = await engine.upsert(name, items);
      return { upserted: n };
    },
  );

  app.post(
    '/api/v1/collections/:name/points/get',
    { ...bodyOptions(cfg, 'query'), schema: { body: { type: 'object', required: ['ids'], properties: { ids: { type: 'array' }, with_vector: { type: 'boolean' } } } } },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const b = req.body as { ids: unknown[]; with_vector?: boolean };
      checkIds(b.ids.length, 'ids', cfg);
      charge(req, b.ids.length);
      const ids = b.ids.map((id, i) => parseId(id, `ids[${i}]`));
      const pts = await engine.getPoints(name, ids);
      return { points: pts.map((p) => ({ id: p.id, metadata: p.payload, ...(b.with_vector === false ? {} : { vector: Array.from(p.vector) }) })) };
    },
  );

  app.get('/api/v1/collections/:name/points/:id', async (req) => {
    const { name, id } = req.params as { name: string; id: string };
    charge(req);
    const [p] = await engine.getPoints(name, [parseId(id, 'id')]);
    if (!p) throw notFound(`point ${id} not found in collection ${name}`);
    return { id: p.id, vector: Array.from(p.vector), metadata: p.payload };
  });

  app.post(
    '/api/v1/collections/:name/points/delete',
    { preHandler: write, ...bodyOptions(cfg, 'query'), schema: { body: { type: 'object', required: ['ids'], properties: { ids: { type: 'array', minItems: 1 } } } } },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const raw = (req.body as { ids: unknown[] }).ids;
      checkIds(raw.length, 'ids', cfg);
      const ids = raw.map((id, i) => parseId(id, `ids[${i}]`));
      return { deleted: await engine.delete(name, ids) };
    },
  );

  app.post(
    '/api/v1/collections/:name/search',
    {
      ...bodyOptions(cfg, 'query'),
      schema: {
        body: {
          type: 'object',
          properties: { vector: {}, vectors: { type: 'array' }, query_vector_id: {}, k: { type: 'integer' }, ef: { type: 'integer' }, filter: obj, with_metadata: { type: 'boolean' } },
        },
      },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const c = engine.get(name);
      const b = req.body as { vector?: unknown; vectors?: unknown[]; query_vector_id?: unknown; k?: number; ef?: number; filter?: unknown; with_metadata?: boolean };
      const k = parseK(b.k ?? 10, 'k', cfg.limits.maxK);
      const ef = b.ef === undefined ? undefined : parseK(b.ef, 'ef', 4096);
      const given = [b.vector !== undefined, b.vectors !== undefined, b.query_vector_id !== undefined].filter(Boolean).length;
      if (given !== 1) throw badRequest('exactly one of vector, vectors or query_vector_id is required');
      let queries: Float32Array[];
      let exclude: string | undefined;
      if (b.vector !== undefined) queries = [parseVector(b.vector, c.dimension, 'vector')];
      else if (b.vectors !== undefined) {
        if (b.vectors.length === 0) throw badRequest('vectors must have at least one item');
        // Before any vector is parsed: a refused request costs nothing more.
        checkQueries(b.vectors.length, b.vectors.length * k, 'vectors', cfg);
        queries = b.vectors.map((v, i) => parseVector(v, c.dimension, `vectors[${i}]`));
      } else {
        exclude = parseId(b.query_vector_id, 'query_vector_id');
        queries = [await engine.vectorOf(name, exclude, 'query_vector_id')];
      }
      const { results } = await engine.search({ collection: name, queries, k, ef, filter: b.filter, withPayload: b.with_metadata !== false, user: userOf(req, cfg.apiKey), exclude, byId: exclude !== undefined });
      const render = (l: typeof results[number]) => l.map((p) => ({ id: p.id, score: p.score, distance: p.distance, ...(p.payload !== undefined ? { metadata: p.payload } : {}) }));
      return b.vectors !== undefined ? { results: results.map(render) } : { results: render(results[0]!) };
    },
  );

  // The CDN-cacheable form: everything in the query string, which the seed's cache key policy includes.
  app.get('/api/v1/search', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const name = q.collection ?? 'default';
    const c = engine.get(name);
    if (q.query_vector_id === undefined) throw badRequest('query_vector_id is required');
    const k = parseK(q.k ?? '10', 'k', cfg.limits.maxK);
    if (q.metric !== undefined) {
      const m = parseMetric(q.metric);
      if (!m) throw badRequest(`metric must be one of ${METRICS.join(', ')}`);
      if (m !== c.metric) throw badRequest(`metric ${q.metric} does not match collection ${name}, which uses ${c.metric}`);
    }
    const ef = q.ef === undefined ? undefined : parseK(q.ef, 'ef', 4096);
    const id = parseId(q.query_vector_id, 'query_vector_id');
    const vector = await engine.vectorOf(name, id, 'query_vector_id');
    const { results, cacheHit } = await engine.search({ collection: name, queries: [vector], k, ef, withPayload: true, user: userOf(req, cfg.apiKey), exclude: id, byId: true });
    reply.header('cache-control', 'public, max-age=60');
    reply.header('x-cache', cacheHit ? 'HIT' : 'MISS');
    return { results: results[0]!.map((p) => ({ id: p.id, score: p.score, distance: p.distance, metadata: p.payload })) };
  });
}
