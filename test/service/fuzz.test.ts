import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, rng, startJwks } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import { mutator, type Json } from '../fuzz.js';

/**
 * Seeded random mutations of valid requests to every route: whatever arrives, the answer is a
 * 2xx or a 4xx in the API's error shape, never a 500, and the service keeps serving. (This is
 * how a 500 on a null Qdrant batch entry and fastify-shaped 414s for valid ids were found.)
 */
const env = new TestEnv();
const SA = 'ruvector-service@proj.iam.gserviceaccount.com';
const AUD = 'https://ruvector-fuzz.example/api/v1/pubsub/vector-updates';
let s: RunningServer;
let jwks: Awaited<ReturnType<typeof startJwks>>;
beforeAll(async () => {
  await env.setup();
  jwks = await startJwks(SA, AUD);
  s = await env.start({ RATE_LIMIT_PER_MINUTE: '1000000', SEARCH_WORKERS: '1', REGION: 'europe-west1', PUBSUB_JWKS_URL: jwks.url, PUSH_SERVICE_ACCOUNT: SA, PUSH_AUDIENCE: AUD });
});
afterAll(async () => {
  await env.teardown();
  await jwks?.close();
});

const D = 8;
/** Requests per run (the acceptance figure is 5,000: FUZZ_REQUESTS=5000; FUZZ_SEED for another sequence). */
const N = Number(process.env.FUZZ_REQUESTS ?? 2000);

/**
 * A value nested n objects deep, as a placeholder string: JSON.stringify of the request would
 * overflow the test's own stack, so the placeholder is replaced in the request's text.
 */
const deep = (n: number) => `__DEEP_${n}__`;
const expandDeep = (text: string) => text.replace(/"__DEEP_(\d+)__"/g, (_, n: string) => `${'{"a":'.repeat(Number(n))}1${'}'.repeat(Number(n))}`);

describe('fuzzed requests', () => {
  it('never get a 500 or an error outside the API shape', async () => {
    const rand = rng(Number(process.env.FUZZ_SEED ?? 20261129));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const vec = (n = D) => Array.from({ length: n }, () => rand() * 2 - 1);
    const odd = (): Json =>
      pick<Json>([null, 0, -1, 1e308, -1e308, 1.5, 'x', '', 'NaN', '1e400', true, [], {}, [1, 2], [null], [[1]], { a: 1 }, { $eq: 1 }, 'a'.repeat(5000), 2 ** 53 + 2, 'ü\u0000', Array(100).fill('x')]);
    const mutate = mutator(rand, odd, ['extra', '__proto__', 'constructor', 'filter', 'k', 'ef', 'limit']);
    const id = () => Math.floor(rand() * 50);
    const routes: [string, string | (() => string), () => Json][] = [
      ['POST', '/api/v1/collections', () => ({ name: pick(['fz', 'fz2', 'a b', '../x', 'x'.repeat(300)]), dimension: D, metric: pick(['l2', 'cosine', 'ip']) })],
      ['POST', '/api/v1/collections/fz/points', () => ({ points: [{ id: id(), vector: vec(), metadata: { t: pick(['a', 'b']), n: rand() } }] })],
      ['POST', '/api/v1/collections/fz/points/get', () => ({ ids: [id(), String(id())] })],
      ['POST', '/api/v1/collections/fz/points/delete', () => ({ ids: [id()] })],
      ['POST', '/api/v1/collections/fz/search', () => ({ vector: vec(), k: 5, ef: 50, filter: { t: 'a' } })],
      ['POST', '/api/v1/collections/fz/search', () => ({ vectors: [vec(), vec()], k: 3 })],
      ['POST', '/api/v1/collections/fz/search', () => ({ query_vector_id: String(id()), k: 3 })],
      // Searches by id go through the search cache, whose key serialises the filter: values
      // nested deeper than JSON.stringify can go (and shallow ones) are a 400 or an answer.
      ['POST', '/api/v1/collections/fz/search', () => ({ query_vector_id: String(id()), k: 3, filter: { must: [{ key: 't', match: { value: deep(pick([3, 500, 20_000, 100_000])) } }] } })],
      ['POST', '/collections/qz/points/search', () => ({ vector: id(), limit: 2, filter: { must: [{ key: 'a', match: { value: deep(pick([3, 20_000])) } }] } })],
      // Collection names no collection can have, on routes that reach Postgres with them.
      ['DELETE', () => `/collections/${pick(['a%00b', '%00', 'x%20y', 'x%2Fy', 'fz'.repeat(200)])}`, () => null],
      ['PUT', () => `/collections/${pick(['a%00b', '%F0%9F%98%80'])}`, () => ({ vectors: { size: D, distance: 'Cosine' } })],
      ['POST', () => `/api/v1/collections/${pick(['a%00b', '%00'])}/points/get`, () => ({ ids: [id()] })],
      // Filters of every shape the bounds cover: lists, ranges, nesting, values that are not scalars.
      ['POST', '/api/v1/collections/fz/search', () => ({
        vectors: [vec(), vec()],
        k: 2,
        filter: { should: [{ key: 't', match: { any: ['a', 'b', rand()] } }, { must_not: [{ key: 'n', range: { gt: rand() } }] }, { key: 'x.y', match: { except: [pick([1, 'z', null, true])] } }] },
      })],
      ['PUT', '/collections/qz', () => ({ vectors: { size: D, distance: pick(['Cosine', 'Euclid', 'Dot']) } })],
      ['PUT', '/collections/qz/points', () => ({ points: [{ id: id(), vector: vec(), payload: { a: 1 } }] })],
      ['POST', '/collections/qz/points', () => ({ ids: [id(), id()], with_payload: true, with_vector: true })],
      ['POST', '/collections/qz/points/search', () => ({ vector: vec(), limit: 3, with_payload: true, filter: { must: [{ key: 'a', match: { value: 1 } }] } })],
      ['POST', '/collections/qz/points/search/batch', () => ({ searches: [{ vector: vec(), limit: 2 }] })],
      ['POST', '/collections/qz/points/query', () => ({ query: vec(), limit: 2 })],
      ['POST', '/collections/qz/points/query/batch', () => ({ searches: [{ query: vec(), limit: 2 }] })],
      ['POST', '/collections/qz/points/delete', () => ({ points: [id()] })],
      // Another region's update, pushed with a valid OIDC token (below): the data is base64 Avro JSON.
      ['POST', '/api/v1/pubsub/vector-updates', () => {
        const update = mutate({ vector_id: String(id()), operation: pick(['insert', 'update', 'delete']), timestamp: Date.now(), region: 'us-central1', metadata: { string: JSON.stringify({ collection: pick(['fz', 'fz', 'fz', 'a\u0000b', '']) }) } });
        return { message: { data: Buffer.from(JSON.stringify(update)).toString('base64'), messageId: String(id()), attributes: {} }, subscription: 'projects/p/subscriptions/vector-updates-europe-west1' };
      }],
    ];
    const token = await jwks.sign({});
    const gets = () =>
      pick([
        `/api/v1/search?query_vector_id=${id()}&k=3&metric=l2&collection=fz`,
        '/api/v1/search?query_vector_id=&k=-1',
        '/api/v1/search?k=1e9&query_vector_id=1',
        `/api/v1/collections/fz/points/${encodeURIComponent(String(odd()))}`,
        `/collections/qz/points/${encodeURIComponent(String(odd()))}`,
        `/api/v1/collections/${encodeURIComponent(String(odd()))}`,
        '/api/v1/collections/fz/points/%E0%A4%A',
        // Repeated query parameters arrive as arrays.
        `/api/v1/search?query_vector_id=${id()}&k=3&metric=l2&metric=l2&collection=fz`,
        `/api/v1/search?query_vector_id=${id()}&query_vector_id=${id()}&collection=fz`,
        `/api/v1/search?query_vector_id=${id()}&k=3&k=4&collection=fz&collection=fz`,
        `/api/v1/search?query_vector_id=${id()}&collection=a%00b`,
        `/api/v1/collections/a%00b`,
        `/collections/a%00b/exists`,
        `/collections/%00/points/${id()}`,
      ]);
    const key = { 'api-key': env.apiKey };
    for (const [m, p, body] of routes) await call(s.url, m, typeof p === 'string' ? p : p(), body(), key);

    const statuses = new Map<number, number>();
    let redeliveries = 0;
    const wrong: string[] = [];
    for (let i = 0; i < N; i++) {
      let method = 'GET';
      let path = gets();
      let body: string | undefined;
      const headers: Record<string, string> = rand() < 0.85 ? { ...key, authorization: `Bearer ${token}` } : {};
      if (rand() >= 0.15) {
        const [m, p, make] = pick(routes);
        method = m;
        path = typeof p === 'string' ? p : p();
        const made = make();
        const text = expandDeep(JSON.stringify(made !== null && rand() < 0.7 ? mutate(made) : made));
        body = rand() < 0.05 ? text.slice(0, -1) : text;
        headers['content-type'] = rand() < 0.05 ? 'text/plain' : 'application/json';
      }
      const res = await fetch(s.url + path, { method, headers, body });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status < 400) continue;
      let shaped = false;
      try {
        const j = JSON.parse(text) as { status?: unknown; error?: unknown };
        shaped = path.startsWith('/api/') ? j.status === res.status && typeof j.error === 'string' : typeof (j.status as { error?: unknown } | undefined)?.error === 'string';
      } catch {
        // not JSON
      }
      // A pushed update newer than this region's database is a 503 on purpose: Pub/Sub redelivers it later.
      const retryLater = res.status === 503 && path === '/api/v1/pubsub/vector-updates';
      if (retryLater) redeliveries++;
      if ((res.status >= 500 && !retryLater) || !shaped) wrong.push(`${method} ${path.slice(0, 80)} ${body?.slice(0, 200) ?? ''} -> ${res.status} ${text.slice(0, 200)}`);
    }
    const fivexx = [...statuses].filter(([c]) => c >= 500).reduce((n, [, k]) => n + k, 0);
    console.log(`fuzz: ${N} requests, ${fivexx - redeliveries} answered 5xx besides ${redeliveries} pushes asked to be redelivered (503) (${[...statuses].sort(([a], [b]) => a - b).map(([c, k]) => `${c}: ${k}`).join(', ')})`);
    expect(wrong).toEqual([]);
    // The run exercised both outcomes, so the check above had something to check.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(300);
    expect([...statuses.keys()].filter((c) => c >= 400 && c < 500).length).toBeGreaterThanOrEqual(4);
    expect((await call(s.url, 'GET', '/health/ready')).status).toBe(200);
  });
});
