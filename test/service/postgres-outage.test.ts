import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, TestEnv, call, waitFor } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';
import type { RunningServer } from '../../service/src/server.js';

/**
 * Postgres stalled (as under SIGSTOP) or down, seen through a proxy this test controls (see
 * tcp-proxy.ts for why not the real server). Requests that need Postgres answer 503 with
 * Retry-After, promptly, and everything recovers when it returns; searches, which need only
 * the in-memory index, keep answering 200.
 */
const env = new TestEnv();
const pgUrl = new URL(PG_URL);
const proxy = new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
let s: RunningServer;
const key = { 'api-key': env.apiKey };
/** Long enough for any answer the timeouts below allow; a request still open then is hanging. */
const HANG = 20_000;

beforeAll(async () => {
  await env.setup();
  await proxy.start();
  s = await env.start({
    DB_HOST: '127.0.0.1',
    DB_PORT: String(proxy.port),
    DB_STATEMENT_TIMEOUT_MS: '1000',
    DB_QUERY_TIMEOUT_MS: '1500',
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_HEALTH_TIMEOUT_MS: '500',
    // Shorter than the answers below take: the receive timeout must not cut a request being answered.
    REQUEST_TIMEOUT_MS: '500',
    HEADERS_TIMEOUT_MS: '400',
  });
  expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'o', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
  expect((await call(s.url, 'POST', '/api/v1/collections/o/points', { points: [{ id: 'a', vector: [1, 0] }] }, key)).status).toBe(200);
});
afterAll(async () => {
  await proxy.close();
  await env.teardown();
});

/** A request that must answer, not hang: fails the test if it is still open after HANG ms. */
async function answer(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HANG),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: JSON.parse(text) as { error?: string; status?: unknown; checks?: { postgres: string } } };
}

async function expectRecovered(id: string): Promise<void> {
  await waitFor('writes succeed again', async () => (await call(s.url, 'POST', '/api/v1/collections/o/points', { points: [{ id, vector: [0, 1] }] }, key)).status === 200);
  expect((await call(s.url, 'GET', `/api/v1/collections/o/points/${id}`)).status).toBe(200);
  await waitFor('ready again', async () => (await call(s.url, 'GET', '/health/ready')).status === 200);
}

describe('Postgres stalled', () => {
  it('writes, reads of uncached points and readiness answer 503 instead of hanging, then recover', async () => {
    // Written and not read since: its cache entries are absent, so a GET must go to Postgres.
    expect((await call(s.url, 'POST', '/api/v1/collections/o/points', { points: [{ id: 'uncached-1', vector: [0, 1] }] }, key)).status).toBe(200);
    proxy.stall();
    try {
      const w = await answer('POST', '/api/v1/collections/o/points', { points: [{ id: 'b', vector: [0, 1] }] }, key);
      expect(w.status).toBe(503);
      expect(w.retryAfter).toMatch(/^\d+$/);
      expect(w.body.error).toMatch(/^postgres is unavailable \(/);
      const g = await answer('GET', '/api/v1/collections/o/points/uncached-1');
      expect(g.status).toBe(503);
      expect(g.retryAfter).toMatch(/^\d+$/);
      const r = await answer('GET', '/health/ready');
      expect(r.status).toBe(503);
      expect(r.body.checks?.postgres).toBe('down');
      // The index is in memory: searching does not need Postgres.
      expect((await answer('POST', '/api/v1/collections/o/search', { vector: [1, 0], k: 1 })).status).toBe(200);
    } finally {
      proxy.resume();
    }
    await expectRecovered('b');
  }, 60_000);
});

describe('Postgres down', () => {
  it('writes and reads of uncached points answer 503 with Retry-After, not 500, then recover', async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections/o/points', { points: [{ id: 'uncached-2', vector: [0, 1] }] }, key)).status).toBe(200);
    await proxy.down();
    try {
      for (const [method, path, body] of [
        ['POST', '/api/v1/collections/o/points', { points: [{ id: 'c', vector: [0, 1] }] }],
        ['POST', '/api/v1/collections/o/points/delete', { ids: ['a'] }],
        ['PUT', '/collections/o/points', { points: [{ id: 'c', vector: [0, 1] }] }],
      ] as const) {
        const w = await answer(method, path, body, key);
        expect(w.status, `${method} ${path}`).toBe(503);
        expect(w.retryAfter).toMatch(/^\d+$/);
      }
      const g = await answer('GET', '/api/v1/collections/o/points/uncached-2');
      expect(g.status).toBe(503);
      expect(g.body.error).toMatch(/^postgres is unavailable \(/);
      // Qdrant routes answer in Qdrant's error shape.
      const q = await answer('POST', '/collections/o/points', { ids: ['uncached-2'] });
      expect(q.status).toBe(503);
      expect(q.body.status).toMatchObject({ error: expect.stringMatching(/^postgres is unavailable/) });
      expect((await answer('GET', '/health/ready')).status).toBe(503);
      expect((await answer('POST', '/api/v1/collections/o/search', { vector: [1, 0], k: 1 })).status).toBe(200);
    } finally {
      await proxy.up();
    }
    await expectRecovered('c');
  }, 60_000);
});
