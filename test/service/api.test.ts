import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TestEnv, call, randomVectors, waitFor, REDIS_HOST, REDIS_PORT } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';

const env = new TestEnv();
let s: RunningServer;
let key: Record<string, string>;

beforeAll(async () => {
  await env.setup();
  s = await env.start({ MAX_BODY_BYTES: '200000', RATE_LIMIT_PER_MINUTE: '100000' });
  key = { 'api-key': env.apiKey };
});
afterAll(() => env.teardown());

describe('vector API', () => {
  it('creates collections, refuses duplicates and bad metrics', async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'docs', dimension: 4, metric: 'cosine' }, key)).status).toBe(201);
    const dup = await call(s.url, 'POST', '/api/v1/collections', { name: 'docs', dimension: 4 }, key);
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ status: 409, error: expect.stringContaining('docs') });
    const bad = await call(s.url, 'POST', '/api/v1/collections', { name: 'x', dimension: 4, metric: 'hamming' }, key);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('metric');
    const missing = await call(s.url, 'POST', '/api/v1/collections', { name: 'x' }, key);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('dimension');
    expect((await call(s.url, 'GET', '/api/v1/collections/nope')).status).toBe(404);
  });

  it('requires the API key for writes, by api-key header or bearer token', async () => {
    const p = { points: [{ id: 'a', vector: [1, 0, 0, 0] }] };
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points', p)).status).toBe(401);
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points', p, { 'api-key': 'wrong' })).status).toBe(401);
    const ok = await call(s.url, 'POST', '/api/v1/collections/docs/points', p, { authorization: `Bearer ${env.apiKey}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ upserted: 1 });
  });

  it('upserts in batches, gets, searches with metadata filters, updates and deletes', async () => {
    const pts = [
      { id: 'a', vector: [1, 0, 0, 0], metadata: { lang: 'en', n: 1 } },
      { id: 'b', vector: [0.9, 0.1, 0, 0], metadata: { lang: 'de', n: 2 } },
      { id: 'c', vector: [0, 1, 0, 0], metadata: { lang: 'en', n: 3 } },
      { id: 42, vector: [0, 0, 1, 0] },
    ];
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points', { points: pts }, key)).body).toEqual({ upserted: 4 });
    const got = await call(s.url, 'POST', '/api/v1/collections/docs/points/get', { ids: ['a', 42, 'missing'] });
    expect(got.body.points.map((p: { id: string }) => p.id).sort()).toEqual(['42', 'a']);
    expect(got.body.points.find((p: { id: string }) => p.id === 'a').metadata).toEqual({ lang: 'en', n: 1 });

    const near = await call(s.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 2 });
    expect(near.body.results.map((r: { id: string }) => r.id)).toEqual(['a', 'b']);
    expect(near.body.results[0].score).toBeCloseTo(1, 5);
    const de = await call(s.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 2, filter: { lang: 'de' } });
    expect(de.body.results.map((r: { id: string }) => r.id)).toEqual(['b']);
    const range = await call(s.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 3, filter: { must: [{ key: 'n', range: { gte: 2 } }] } });
    expect(range.body.results.map((r: { id: string }) => r.id).sort()).toEqual(['b', 'c']);
    const badFilter = await call(s.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], filter: { must: [{ key: 'n' }] } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error).toContain('filter.must[0]');

    // Batch of queries in one request.
    const batch = await call(s.url, 'POST', '/api/v1/collections/docs/search', { vectors: [[1, 0, 0, 0], [0, 1, 0, 0]], k: 1 });
    expect(batch.body.results.map((l: { id: string }[]) => l[0]!.id)).toEqual(['a', 'c']);

    // Update moves 'c' next to the query; the cached search must not hide it.
    const q = { vector: [0, 0, 0, 1], k: 1 };
    const before = await call(s.url, 'POST', '/api/v1/collections/docs/search', q);
    expect(before.body.results[0].id).not.toBe('c');
    await call(s.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'c', vector: [0, 0, 0, 1], metadata: { lang: 'fr' } }] }, key);
    const after = await call(s.url, 'POST', '/api/v1/collections/docs/search', q);
    expect(after.body.results[0]).toMatchObject({ id: 'c', metadata: { lang: 'fr' } });

    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points/delete', { ids: ['c', 'never'] }, key)).body).toEqual({ deleted: 1 });
    const gone = await call(s.url, 'POST', '/api/v1/collections/docs/search', q);
    expect(gone.body.results[0].id).not.toBe('c');
    expect((await call(s.url, 'GET', '/api/v1/collections/docs/points/c')).status).toBe(404);
    expect((await call(s.url, 'GET', '/api/v1/collections/docs')).body.count).toBe(3);
  });

  it('searches by query_vector_id through the CDN-cacheable GET', async () => {
    const r1 = await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=a&k=1&metric=cosine');
    expect(r1.status).toBe(200);
    expect(r1.body.results.map((r: { id: string }) => r.id)).toEqual(['b']);
    expect(r1.headers.get('cache-control')).toContain('max-age');
    const r2 = await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=a&k=1&metric=cosine');
    expect(r2.headers.get('x-cache')).toBe('HIT');
    expect(r2.body).toEqual(r1.body);
    expect((await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=a&metric=l2')).status).toBe(400);
    expect((await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=zzz')).status).toBe(404);
    // A write invalidates the cached result: move b away and 42 next to a.
    await call(s.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 42, vector: [1, 0.01, 0, 0] }, { id: 'b', vector: [0, 0, 1, 1] }] }, key);
    const r3 = await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=a&k=1&metric=cosine');
    expect(r3.headers.get('x-cache')).toBe('MISS');
    expect(r3.body.results[0].id).toBe('42');
    const badK = await call(s.url, 'GET', '/api/v1/search?collection=docs&query_vector_id=a&k=0');
    expect(badK.body).toEqual({ status: 400, error: expect.stringContaining('k') });
  });

  /** `inner` wrapped `levels` times (by default in {a: ...}). */
  const nest = (levels: number, inner: unknown, wrap = (x: unknown): unknown => ({ a: x })): unknown => {
    let v = inner;
    for (let i = 0; i < levels; i++) v = wrap(v);
    return v;
  };

  it('refuses bad input with 400/413 naming the field and keeps serving', async () => {
    const cases: [unknown, string][] = [
      ['{"points": [{"id": "x", "vector": [1, 2, 3, 1e999]}]}', 'points[0].vector[3]'],
      [{ points: [{ id: 'x', vector: [1, 2, 3] }] }, 'points[0].vector has dimension 3'],
      [{ points: [{ id: 'x', vector: [1, 2, 'a', 4] }] }, 'points[0].vector[2]'],
      [{ points: [{ id: 'x', vector: [1, 2, 3, 4], metadata: [1] }] }, 'points[0].metadata'],
      [{ points: [{ vector: [1, 2, 3, 4] }] }, 'points[0].id'],
      [{ points: 'nope' }, 'body.points'],
      ['{"points": [', 'not valid JSON'],
      ['{"points": [{"id": "x", "vector": [NaN, 1, 2, 3]}]}', 'not valid JSON'],
      // What Postgres cannot store is refused, not mangled or a 500 (found by fuzzing).
      [{ points: [{ id: 'a\u0000b', vector: [1, 2, 3, 4] }] }, 'points[0].id contains U+0000 or an unpaired UTF-16 surrogate'],
      [{ points: [{ id: 'a\ud800', vector: [1, 2, 3, 4] }] }, 'points[0].id contains U+0000'],
      [{ points: [{ id: 'x', vector: [1, 2, 3, 4], metadata: { tags: ['ok', 'v\u0000'] } }] }, 'points[0].metadata.tags[1] contains U+0000'],
      [{ points: [{ id: 'x', vector: [1, 2, 3, 4], metadata: { 'k\udc00': 1 } }] }, 'points[0].metadata: a key contains U+0000'],
      [{ points: [{ id: 'x', vector: [1, 2, 3, 4], metadata: nest(65, 1) }] }, 'nests objects and arrays deeper than 64 levels'],
    ];
    // 64 levels is the limit, not less.
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'deep', vector: [1, 2, 3, 4], metadata: nest(64, 1) }] }, key)).status).toBe(200);
    const deepFilter = (levels: number) => call(s.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 2, 3, 4], k: 1, filter: nest(levels, { key: 'a', match: { value: 1 } }, (f) => ({ must: [f] })) });
    expect((await deepFilter(32)).status).toBe(200);
    expect((await deepFilter(33)).body).toEqual({ status: 400, error: 'filter nests deeper than 32 levels of must/should/must_not' });
    // Deeper than JSON.stringify (or a recursive compiler) can go: written out by hand.
    const n = 15_000; // 165 KB: under this server's body limit, far past any stack
    const huge = `{"vector": [1, 2, 3, 4], "k": 1, "filter": ${'{"must": ['.repeat(n)}{"key": "a", "match": {"value": 1}}${']}'.repeat(n)}}`;
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/search', huge)).status).toBe(400);
    for (const [body, msg] of cases) {
      const r = await call(s.url, 'POST', '/api/v1/collections/docs/points', body, key);
      expect(r.status, String(msg)).toBe(400);
      expect(r.body.status).toBe(400);
      expect(r.body.error).toContain(msg);
    }
    const big = { points: randomVectors(1000, 4).map((v, i) => ({ id: `big${i}`, vector: v, metadata: { pad: 'x'.repeat(200) } })) };
    const tooBig = await call(s.url, 'POST', '/api/v1/collections/docs/points', big, key);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toContain('limit');
    expect((await call(s.url, 'GET', '/health/live')).status).toBe(200);
  });

  it('serves point ids of every accepted length by path, and answers malformed paths in its own shape', async () => {
    // 255 characters (the longest id) of 3-byte UTF-8: 2,295 characters once percent-encoded.
    const longest = '€'.repeat(255);
    const path = (api: string) => `${api}/${encodeURIComponent(longest)}`;
    expect((await call(s.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: longest, vector: [1, 0, 0, 0] }] }, key)).status).toBe(200);
    expect((await call(s.url, 'GET', path('/api/v1/collections/docs/points'))).body).toMatchObject({ id: longest });
    expect((await call(s.url, 'GET', path('/collections/docs/points'))).body.result).toMatchObject({ id: longest });
    const tooLong = await call(s.url, 'GET', `/api/v1/collections/docs/points/${'x'.repeat(256)}`);
    expect(tooLong).toMatchObject({ status: 400, body: { status: 400, error: 'id must be 1 to 255 characters' } });
    const badEscape = await call(s.url, 'GET', '/api/v1/collections/docs/points/%E0%A4%A');
    expect(badEscape).toMatchObject({ status: 400, body: { status: 400, error: 'the path is not valid percent-encoded UTF-8' } });
    expect((await call(s.url, 'GET', '/collections/%ZZ')).body).toEqual({ status: { error: 'the path is not valid percent-encoded UTF-8' }, time: 0 });
    const absurd = await call(s.url, 'GET', `/api/v1/collections/docs/points/${'x'.repeat(4000)}`);
    expect(absurd).toMatchObject({ status: 414, body: { status: 414 } });
    expect(absurd.body.error).toMatch(/longer than \d+ characters/);
  });

  it('takes vectors as base64 float32 bytes, exactly, and refuses malformed ones', async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'b64', dimension: 4, metric: 'l2' }, key)).status).toBe(201);
    const b64 = (v: number[]) => Buffer.from(Float32Array.from(v).buffer).toString('base64');
    // Values that need all of float32's digits: the stored vector must be bit-identical.
    const v = [0.1, -1 / 3, 3.4028234663852886e38, 1e-40];
    expect((await call(s.url, 'POST', '/api/v1/collections/b64/points', { points: [{ id: 'p', vector: b64(v) }, { id: 'q', vector: [1, 1, 1, 1] }] }, key)).status).toBe(200);
    const got = await call(s.url, 'POST', '/api/v1/collections/b64/points/get', { ids: ['p'] });
    expect(got.body.points[0].vector).toEqual(Array.from(Float32Array.from(v)));
    const one = await call(s.url, 'POST', '/api/v1/collections/b64/search', { vector: b64([1, 1, 1, 1]), k: 1 });
    expect(one.body.results[0].id).toBe('q');
    const batch = await call(s.url, 'POST', '/api/v1/collections/b64/search', { vectors: [b64([1, 1, 1, 1]), [1, 1, 1, 1]], k: 1 });
    expect(batch.body.results.map((l: { id: string }[]) => l[0]!.id)).toEqual(['q', 'q']);
    const cases: [string, string][] = [
      [b64([1, 2, 3]), 'holds 3 float32 values, collection expects 4'],
      [b64([1, 2, 3, 4]).replace('A', '*'), 'not base64'],
      [b64([1, 2, 3, 4]).slice(0, -1), 'not base64'],
      [b64([1, 2, Infinity, 4]), 'vector[2] must be a finite number'],
      [b64([1, 2, 3, NaN]), 'vector[3] must be a finite number'],
    ];
    for (const [vec, msg] of cases) {
      const r = await call(s.url, 'POST', '/api/v1/collections/b64/search', { vector: vec, k: 1 });
      expect(r.status, msg).toBe(400);
      expect(r.body.error).toContain(msg);
    }
  });

  it('grows the index past its initial capacity and finds every vector', async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'grow', dimension: 8, metric: 'l2' }, key)).status).toBe(201);
    const vecs = randomVectors(3000, 8, 7);
    for (let i = 0; i < vecs.length; i += 1000) {
      const points = vecs.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: v }));
      expect((await call(s.url, 'POST', '/api/v1/collections/grow/points', { points }, key)).status).toBe(200);
    }
    expect((await call(s.url, 'GET', '/api/v1/collections/grow')).body.count).toBe(3000);
    for (const i of [0, 1500, 2999]) {
      const r = await call(s.url, 'POST', '/api/v1/collections/grow/search', { vector: vecs[i], k: 1 });
      expect(r.body.results[0].id).toBe(String(i));
      expect(r.body.results[0].distance).toBeCloseTo(0, 5);
    }
  });

  it('keeps the seed schema and writes analytics in batches off the request path', async () => {
    const { rows } = await env.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    const names = rows.map((r: { table_name: string }) => r.table_name);
    for (const t of ['vector_metadata', 'rate_limits', 'rate_limits_partitioned', 'agent_coordination', 'task_coordination', 'query_analytics', 'query_analytics_partitioned']) {
      expect(names).toContain(t);
    }
    const gin = await env.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_vector_metadata_metadata'`);
    expect(gin.rows[0].indexdef).toContain('gin');
    const part = await env.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'query_analytics_partitioned'::regclass`);
    expect(part.rows[0].n).toBeGreaterThanOrEqual(4); // default + three months
    await waitFor('analytics rows', async () => {
      const r = await env.query(`SELECT count(*)::int AS n FROM query_analytics_partitioned WHERE query_type = 'search'`);
      return r.rows[0].n > 5;
    });
    // Every column arrives: the rows travel as one JSON parameter.
    const row = (await env.query(`SELECT region, user_id, latency_ms, cache_hit, result_count, error_code, extract(epoch FROM now() - timestamp) AS age FROM query_analytics_partitioned WHERE query_type = 'search' AND error_code IS NULL LIMIT 1`)).rows[0];
    expect(row).toMatchObject({ region: expect.any(String), user_id: expect.stringMatching(/^(ip-|key-)/), cache_hit: expect.any(Boolean), error_code: null });
    expect(row.latency_ms).toBeGreaterThan(0);
    expect(row.result_count).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Number(row.age))).toBeLessThan(600);
    await env.query('REFRESH MATERIALIZED VIEW query_metrics_hourly');
    const mv = await env.query(`SELECT total_queries FROM query_metrics_hourly WHERE query_type = 'search'`);
    expect(mv.rows.length).toBeGreaterThan(0);
    await waitFor('rate_limits rows', async () => (await env.query('SELECT count(*)::int AS n FROM rate_limits')).rows[0].n > 0);
    await waitFor('error rows', async () => (await env.query(`SELECT count(*)::int AS n FROM query_analytics_partitioned WHERE error_code = 'HTTP_400'`)).rows[0].n > 0);
  });

  it('exposes Prometheus metrics and JSON health', async () => {
    const m = await call(s.url, 'GET', '/metrics');
    expect(m.body).toContain('ruvector_http_request_duration_seconds_bucket');
    expect(m.body).toMatch(/ruvector_index_vectors\{collection="grow"\} 3000/);
    expect(m.body).toContain('ruvector_search_cache_hit_ratio');
    // Both replicas served searches (the suite runs SEARCH_WORKERS=2).
    const served = [...(m.body as string).matchAll(/ruvector_worker_searches\{worker="(\d)"\} (\d+)/g)].map((x) => Number(x[2]));
    expect(served.length).toBe(2);
    for (const n of served) expect(n).toBeGreaterThan(0);
    expect((await call(s.url, 'GET', '/health/ready')).body).toMatchObject({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
    expect((await call(s.url, 'GET', '/health/startup')).body.status).toBe('started');
    expect((await call(s.url, 'GET', '/no/such/route')).body).toEqual({ status: 404, error: expect.stringContaining('/no/such/route') });
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a client exceeds its window', async () => {
    const limited = await env.start({ RATE_LIMIT_PER_MINUTE: '3', SEARCH_CACHE: 'all' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await call(limited.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 1 }, { 'x-forwarded-for': '203.0.113.9' });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.body).toEqual({ status: 429, error: expect.stringContaining('rate limit') });
      }
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Rewriting the left end of X-Forwarded-For (which the client controls) does not help.
    const spoofed = await call(limited.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 1 }, { 'x-forwarded-for': '198.51.100.77, 203.0.113.9' });
    expect(spoofed.status).toBe(429);
    // The count reaches the shared ratelimit:{user}:{window} key.
    await waitFor('ratelimit key', async () => {
      const r = new Redis({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: env.prefix });
      try {
        const keys = await r.keys(`${env.prefix}ratelimit:ip-203.0.113.9:*`);
        return keys.length === 1 && Number(await r.get(keys[0]!.slice(env.prefix.length))) >= 3;
      } finally {
        r.disconnect();
      }
    });
    // Another client is not affected.
    const other = await call(limited.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0, 0, 0], k: 1 }, { 'x-forwarded-for': '203.0.113.10' });
    expect(other.status).toBe(200);
  });
});

describe('rate limits in cost units', () => {
  it('charges a search per query and a read per id, on every read route', async () => {
    const limited = await env.start({ RATE_LIMIT_PER_MINUTE: '50' });
    const as = { 'x-forwarded-for': '203.0.113.50' };
    const q = [1, 0, 0, 0];
    // 40 queries in one request spend 40 of the 50 units.
    const batch = await call(limited.url, 'POST', '/api/v1/collections/docs/search', { vectors: Array.from({ length: 40 }, () => q), k: 1 }, as);
    expect(batch.status).toBe(200);
    const over = await call(limited.url, 'POST', '/api/v1/collections/docs/search', { vectors: Array.from({ length: 20 }, () => q), k: 1 }, as);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('rate limit of 50 units per 60s (RATE_LIMIT_PER_MINUTE; a query or a point id is one unit) exceeded for this client: this request costs 20, 10 left in this window');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reads by id are charged too: 8 ids, then one by path, leave one unit.
    expect((await call(limited.url, 'POST', '/api/v1/collections/docs/points/get', { ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] }, as)).status).toBe(200);
    expect((await call(limited.url, 'GET', '/api/v1/collections/docs/points/a', undefined, as)).status).toBe(200);
    expect((await call(limited.url, 'POST', '/api/v1/collections/docs/points/get', { ids: ['a', 'b'] }, as)).status).toBe(429);
    expect((await call(limited.url, 'POST', '/collections/docs/points', { ids: ['a', 'b'] }, as)).status).toBe(429);
    expect((await call(limited.url, 'GET', '/api/v1/collections/docs', undefined, as)).status).toBe(200);
    expect((await call(limited.url, 'GET', '/collections/docs/points/a', undefined, as)).status).toBe(429);
    // A Qdrant batch is charged whole, before any of it runs.
    const other = { 'x-forwarded-for': '203.0.113.51' };
    const qbatch = await call(limited.url, 'POST', '/collections/docs/points/search/batch', { searches: Array.from({ length: 51 }, () => ({ vector: q, limit: 1 })) }, other);
    expect(qbatch.status).toBe(429);
    expect(qbatch.body.status.error).toContain('this request alone costs 51');
    expect((await call(limited.url, 'POST', '/collections/docs/points/search/batch', { searches: Array.from({ length: 50 }, () => ({ vector: q, limit: 1 })) }, other)).status).toBe(200);
  });
});
