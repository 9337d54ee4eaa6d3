import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, startJwks } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import { encodeUpdate } from '../../service/src/replication/schema.js';

/** Inputs fuzzing found answered 500: each is a 400 saying what is wrong, and the service keeps serving. */
const env = new TestEnv();
const SA = 'ruvector-service@proj.iam.gserviceaccount.com';
const AUD = 'https://ruvector-request-line.example/api/v1/pubsub/vector-updates';
let s: RunningServer;
let jwks: Awaited<ReturnType<typeof startJwks>>;
const key = () => ({ 'api-key': env.apiKey });

beforeAll(async () => {
  await env.setup();
  jwks = await startJwks(SA, AUD);
  s = await env.start({ REGION: 'europe-west1', PUBSUB_JWKS_URL: jwks.url, PUSH_SERVICE_ACCOUNT: SA, PUSH_AUDIENCE: AUD, CHANGEFEED_POLL_MS: '0' });
  expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'rl', dimension: 2, metric: 'l2' }, key())).status).toBe(201);
  expect((await call(s.url, 'POST', '/api/v1/collections/rl/points', { points: [{ id: 'p', vector: [1, 0], metadata: { t: 'a' } }] }, key())).status).toBe(200);
});
afterAll(async () => {
  await env.teardown();
  await jwks?.close();
});

describe('request line and replication input', () => {
  it('a repeated query parameter is a 400 naming it', async () => {
    const r = await call(s.url, 'GET', '/api/v1/search?collection=rl&query_vector_id=p&metric=l2&metric=l2');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: 400, error: 'query parameter metric is given 2 times: give it once' });
    expect((await call(s.url, 'GET', '/api/v1/search?collection=rl&query_vector_id=p&metric=l2')).status).toBe(200);
  });

  it('a collection name no collection can have is a 400, on every API', async () => {
    for (const [method, path] of [['DELETE', '/collections/a%00b'], ['DELETE', '/api/v1/collections/a%00b'], ['GET', '/api/v1/collections/a%00b'], ['POST', '/api/v1/collections/%00/points/get'], ['PUT', '/collections/a%00b']] as const) {
      const body = method === 'POST' ? { ids: ['p'] } : method === 'PUT' ? { vectors: { size: 2, distance: 'Cosine' } } : undefined;
      const r = await call(s.url, method, path, body, key());
      expect(r.status, `${method} ${path}`).toBe(400);
      const error = path.startsWith('/api/') ? r.body.error : r.body.status.error;
      expect(error).toBe('the collection name in the path must be 1-255 characters of letters, digits, _ . -');
    }
  });

  it('a filter nested deeper than the search cache can key is a 400', async () => {
    const n = 50_000;
    const body = `{"query_vector_id":"p","k":1,"filter":{"must":[{"key":"t","match":{"value":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}}]}}`;
    const r = await call(s.url, 'POST', '/api/v1/collections/rl/search', body);
    expect(r.status).toBe(400);
    // The filter's own bounds refuse a value that is not a scalar before the cache key is built;
    // either way the answer names the filter, never a 500.
    expect(r.body.error).toMatch(/filter is nested too deeply|filter\.must\[0\]\.match\.value must be a string/);
    expect((await call(s.url, 'POST', '/api/v1/collections/rl/search', { query_vector_id: 'p', k: 1, filter: { t: 'a' } })).status).toBe(200);
  });

  it('a pushed update naming an impossible collection or region is a 400 (not retried for ever)', async () => {
    const token = await jwks.sign({});
    for (const [region, collection, says] of [['us-central1', 'a\u0000b', 'metadata.collection must be'], ['ü\u0000', 'rl', 'region must be a region name']] as const) {
      const data = encodeUpdate({ vector_id: 'p', operation: 'delete', timestamp: Date.now(), region, metadata: JSON.stringify({ collection }) });
      const r = await call(s.url, 'POST', '/api/v1/pubsub/vector-updates', { message: { data: Buffer.from(data).toString('base64'), messageId: '1' } }, { authorization: `Bearer ${token}` });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain(says);
    }
  });
});
