import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, randomVectors, waitFor } from './helpers.js';
import { ended, startChild } from './child.js';

/**
 * The drain deadline: SIGTERM while searches are still running in the index workers. Past
 * DRAIN_TIMEOUT_MS the process must exit 1 as a process does, not die of SIGABRT: a worker
 * torn down inside hnswlib's searchKnn calling a JS filter callback aborted the whole process.
 */
const env = new TestEnv();
beforeAll(() => env.setup());
afterAll(() => env.teardown());

const D = 8;

describe('hard stop at the drain deadline', () => {
  it('exits 1, without an abort, while filtered searches are in flight', async () => {
    const c = await startChild(env.env({ SEARCH_WORKERS: '1', DRAIN_TIMEOUT_MS: '300', RATE_LIMIT_PER_MINUTE: '1000000' }));
    const key = { 'api-key': env.apiKey };
    try {
      await waitFor('startup', async () => (await call(c.url, 'GET', '/health/startup')).status === 200);
      expect((await call(c.url, 'POST', '/api/v1/collections', { name: 'h', dimension: D, metric: 'l2' }, key)).status).toBe(201);
      const vecs = randomVectors(4000, D, 3);
      for (let i = 0; i < vecs.length; i += 1000) {
        const points = vecs.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: v, metadata: { t: 'a' } }));
        expect((await call(c.url, 'POST', '/api/v1/collections/h/points', { points }, key)).status).toBe(200);
      }
      // A filter nothing matches makes every search walk the whole graph, calling the filter
      // callback for each point: the worker is busy in it for as long as these keep coming.
      const filter = { must: [{ key: 't', match: { any: Array.from({ length: 50 }, (_, i) => `none-${i}`) } }] };
      let answered = 0;
      const searches = Array.from({ length: 400 }, () =>
        call(c.url, 'POST', '/api/v1/collections/h/search', { vectors: randomVectors(8, D, answered + 7), k: 10, filter }).then(
          () => answered++,
          () => {},
        ),
      );
      await waitFor('searches running', async () => answered > 0, 60_000);
      const end = ended(c.proc);
      c.proc.kill('SIGTERM');
      const how = await end;
      await Promise.all(searches);
      expect(how).toEqual({ code: 1, signal: null });
      // It was the hard stop that ended it, not a drain that happened to finish in time.
      expect(c.logs.join('\n')).toContain('the drain did not finish within 300 ms');
    } finally {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
  }, 120_000);
});
