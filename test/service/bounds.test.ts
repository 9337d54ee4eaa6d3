/**
 * Work per request is bounded: limits refused with 400/413 naming the limit, filters that
 * cannot be copied to the workers refused without leaking the pool, a deadline on every
 * search, load shed with 503 + Retry-After, and readiness failing while the pool is wedged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { TestEnv, call, randomVectors } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';

const env = new TestEnv();
let s: RunningServer;
let key: Record<string, string>;
const D = 8;
const N = 3000;

beforeAll(async () => {
  await env.setup();
  s = await env.start({
    RATE_LIMIT_PER_MINUTE: '100000000',
    MAX_QUERIES: '200',
    MAX_RESULTS: '2000',
    MAX_QUERY_BODY_BYTES: '100000',
    MAX_FILTER_CONDITIONS: '8',
    MAX_MATCH_VALUES: '500',
    MAX_BATCH: '3000',
  });
  key = { 'api-key': env.apiKey };
  expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'b', dimension: D, metric: 'l2' }, key)).status).toBe(201);
  const vecs = randomVectors(N, D, 3);
  const points = vecs.map((v, i) => ({ id: i, vector: v, metadata: { g: i % 100, t: i % 2 ? 'odd' : 'even' } }));
  expect((await call(s.url, 'POST', '/api/v1/collections/b/points', { points }, key)).status).toBe(200);
}, 60_000);
afterAll(() => env.teardown());

const search = (body: unknown, url = s.url) => call(url, 'POST', '/api/v1/collections/b/search', body);
const q = () => randomVectors(1, D, Math.floor(Math.random() * 1e6))[0]!;
/** `inner` wrapped in {a: ...} `levels` times, written out (deeper than JSON.stringify goes). */
const nested = (levels: number, inner: string) => `${'{"a":'.repeat(levels)}${inner}${'}'.repeat(levels)}`;

describe('request limits', () => {
  it('refuses more queries, results, filter conditions or values than configured, naming the limit', async () => {
    const cases: [unknown, string][] = [
      [{ vectors: Array.from({ length: 201 }, q), k: 1 }, 'vectors has 201 queries, at most 200 per request (MAX_QUERIES)'],
      [{ vectors: Array.from({ length: 100 }, q), k: 21 }, 'vectors asks for 2100 results (k x queries), at most 2000 per request (MAX_RESULTS)'],
      [{ vector: q(), filter: { must: Array.from({ length: 9 }, (_, i) => ({ key: 'g', match: { value: i } })) } }, 'filter.must[8]: the filter has more than 8 conditions (MAX_FILTER_CONDITIONS)'],
      [{ vector: q(), filter: { must: [{ key: 'g', match: { any: Array.from({ length: 501 }, (_, i) => i) } }] } }, 'filter.must[0].match.any has 501 values: at most 500 in all match.any/except lists of a filter (MAX_MATCH_VALUES)'],
      [{ vector: q(), filter: { must: [{ key: 'g', match: { any: [1, { x: 1 }] } }] } }, 'filter.must[0].match.any[1] must be a string, a finite number, a boolean or null'],
      [{ vector: q(), filter: { must: [{ key: 'g', match: { value: [1] } }] } }, 'filter.must[0].match.value must be a string, a finite number, a boolean or null'],
    ];
    for (const [body, msg] of cases) expect(await search(body), msg).toMatchObject({ status: 400, body: { status: 400, error: msg } });
    // Qdrant's batch: the number of searches and the sum of their limits.
    const qb = await call(s.url, 'POST', '/collections/b/points/search/batch', { searches: Array.from({ length: 201 }, () => ({ vector: q(), limit: 1 })) });
    expect(qb).toMatchObject({ status: 400, body: { status: { error: 'searches has 201 queries, at most 200 per request (MAX_QUERIES)' } } });
    const qk = await call(s.url, 'POST', '/collections/b/points/search/batch', { searches: Array.from({ length: 3 }, () => ({ vector: q(), limit: 1000 })) });
    expect(qk.body.status.error).toBe('searches asks for 3000 results (k x queries), at most 2000 per request (MAX_RESULTS)');
    // At the limits, answered.
    expect((await search({ vectors: Array.from({ length: 200 }, q), k: 10 })).status).toBe(200);
    const any500 = await search({ vector: q(), k: 5, filter: { must: [{ key: 'g', match: { any: Array.from({ length: 500 }, (_, i) => i + 7) } }] } });
    expect(any500.status).toBe(200);
    expect(any500.body.results).toHaveLength(5);
  });

  it('bounds bodies per route: searches and reads by MAX_QUERY_BODY_BYTES, upserts by MAX_BODY_BYTES', async () => {
    const big = JSON.stringify({ vector: q(), filter: { must: [{ key: 't', match: { value: 'x'.repeat(100_000) } }] } });
    expect(await search(big)).toMatchObject({ status: 413, body: { status: 413, error: "body is larger than this route's 100000-byte limit (MAX_QUERY_BODY_BYTES)" } });
    const ids = { ids: Array.from({ length: 3000 }, (_, i) => `id-${'x'.repeat(30)}-${i}`) };
    expect((await call(s.url, 'POST', '/api/v1/collections/b/points/get', ids)).body.error).toBe("body is larger than this route's 100000-byte limit (MAX_QUERY_BODY_BYTES)");
    expect((await call(s.url, 'POST', '/collections/b/points/search', big)).body).toEqual({ status: { error: "body is larger than this route's 100000-byte limit (MAX_QUERY_BODY_BYTES)" }, time: 0 });
    // The same bytes are a fine upsert (MAX_BODY_BYTES is the default 32 MiB here).
    const upsert = { points: [{ id: 'long', vector: q(), metadata: { pad: 'x'.repeat(100_000) } }] };
    expect((await call(s.url, 'POST', '/api/v1/collections/b/points', upsert, key)).status).toBe(200);
    const tooMany = await call(s.url, 'POST', '/api/v1/collections/b/points/get', { ids: Array.from({ length: 3001 }, (_, i) => i) });
    expect(tooMany.body).toEqual({ status: 400, error: 'ids has 3001 items, at most 3000 per request (MAX_BATCH)' });
  });

  it('answers filtered searches exactly, however few points match', async () => {
    // g = 7 matches 30 of 3,000 points; none match g = -1. Each batch walks the graph once, then searches the matches.
    const queries = Array.from({ length: 50 }, q);
    const rare = await search({ vectors: queries, k: 5, filter: { must: [{ key: 'g', match: { value: 7 } }] }, with_metadata: true });
    expect(rare.status).toBe(200);
    const all = randomVectors(N, D, 3);
    queries.forEach((qv, i) => {
      const want = all
        .map((v, id) => ({ id, d: v.reduce((acc, x, j) => acc + (x - qv[j]!) ** 2, 0) }))
        .filter((p) => p.id % 100 === 7)
        .sort((x, y) => x.d - y.d)
        .slice(0, 5);
      const got = rare.body.results[i] as { id: string; distance: number; metadata: { g: number } }[];
      expect(got.map((h) => Number(h.id))).toEqual(want.map((p) => p.id));
      got.forEach((h, j) => expect(h.distance).toBeCloseTo(want[j]!.d, 3));
    });
    const none = await search({ vectors: queries, k: 5, filter: { must: [{ key: 'g', match: { value: -1 } }] } });
    expect(none.body.results).toEqual(queries.map(() => []));
  });
});

describe('the search pool under hostile requests', () => {
  it('thousands of searches with a filter value nested 6,000 levels are refused and leave the pool as it was', async () => {
    const blocks = s.engine.pool.arenaBlocksFree;
    expect(blocks).toBe(512);
    const body = `{"vector": ${JSON.stringify(q())}, "k": 1, "filter": {"must": [{"key": "t", "match": {"value": ${nested(6000, '1')}}}]}}`;
    const statuses = new Map<number, number>();
    const dispatcher = new Agent({ connections: 8 });
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (sent++ < 4000) {
          const r = await fetch(`${s.url}/api/v1/collections/b/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher } as RequestInit);
          await r.text();
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    await dispatcher.close();
    expect([...statuses]).toEqual([[400, 4000]]);
    expect(s.engine.pool.arenaBlocksFree).toBe(blocks);
    expect(s.engine.pool.health()).toEqual({ searches: 0, queries: 0, arenaBlocksFree: 512 });
    expect((await search({ vector: q(), k: 3 })).body.results).toHaveLength(3);
    expect((await call(s.url, 'GET', '/health/ready')).status).toBe(200);
  }, 120_000);
});

describe('deadlines, load shedding and readiness', () => {
  let t: RunningServer;
  beforeAll(async () => {
    t = await env.start({ RATE_LIMIT_PER_MINUTE: '100000000', SEARCH_TIMEOUT_MS: '150', SEARCH_QUEUE_QUERIES: '400', POOL_WEDGED_MS: '100', MAX_QUERIES: '5000', MAX_RESULTS: '100000' });
  }, 60_000);

  it('answers a search past SEARCH_TIMEOUT_MS with 503 and Retry-After, frees the pool, and lets writes through', async () => {
    // 5,000 queries at ef 4096 over 3,000 points: seconds of work for one worker.
    const long = { vectors: Array.from({ length: 5000 }, q), k: 10, ef: 4096 };
    const running = search(long, t.url);
    // A write waits for every replica, the busy one too: it goes through once the search stops at its deadline.
    const write = call(t.url, 'POST', '/api/v1/collections/b/points', { points: [{ id: 'after', vector: q() }] }, key);
    const r = await running;
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('search did not finish within 150 ms (SEARCH_TIMEOUT_MS): ask for fewer queries or a narrower filter, or retry');
    expect(r.headers.get('retry-after')).toBe('1');
    expect((await write).status).toBe(200);
    await waitUntil(() => t.engine.pool.health().searches === 0);
    expect(t.engine.pool.health()).toEqual({ searches: 0, queries: 0, arenaBlocksFree: 512 });
    expect((await search({ vector: q(), k: 2 }, t.url)).body.results).toHaveLength(2);
  }, 60_000);

  it('sheds searches past SEARCH_QUEUE_QUERIES with 503 and Retry-After while liveness answers', async () => {
    // A deadline long enough that what is let in is answered, on this machine at any load.
    const u = await env.start({ RATE_LIMIT_PER_MINUTE: '100000000', SEARCH_TIMEOUT_MS: '30000', SEARCH_QUEUE_QUERIES: '400' });
    const body = { vectors: Array.from({ length: 100 }, q), k: 10, ef: 200 };
    const answers = await Promise.all([...Array.from({ length: 30 }, () => search(body, u.url)), call(u.url, 'GET', '/health/live')]);
    const live = answers.pop()!;
    expect(live.status).toBe(200);
    const shed = answers.filter((r) => r.status === 503 && r.body.error.startsWith('search queue full'));
    expect(shed.length).toBeGreaterThan(0);
    for (const r of shed) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.error).toMatch(/\(SEARCH_QUEUE_QUERIES\)|\(SEARCH_QUEUE_WAIT_MS\)/);
    }
    // The rest were answered, at least the four that fit.
    expect(answers.filter((r) => r.status === 200).length + shed.length).toBe(30);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(4);
    await waitUntil(() => u.engine.pool.health().searches === 0);
  }, 60_000);

  it('reports not ready while a worker is stuck on one task past POOL_WEDGED_MS, and ready again after', async () => {
    // 3,000 new 8-d points take each replica far longer than 100 ms to index.
    const points = randomVectors(3000, D, 99).map((v, i) => ({ id: `w${i}`, vector: v }));
    let done = false;
    const write = call(t.url, 'POST', '/api/v1/collections/b/points', { points }, key).then((r) => {
      done = true;
      return r;
    });
    let wedged: { status: number; body: { status: string; checks: { index: string } } } | undefined;
    while (!done && !wedged) {
      const r = await call(t.url, 'GET', '/health/ready');
      if (r.status === 503) wedged = r;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect((await write).status).toBe(200);
    expect(wedged?.body.status).toBe('unavailable');
    expect(wedged?.body.checks.index).toMatch(/^wedged: index worker \d has been on one task for \d+ ms \(POOL_WEDGED_MS=100\)$/);
    expect((await call(t.url, 'GET', '/health/ready')).status).toBe(200);
  }, 60_000);
});

async function waitUntil(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
